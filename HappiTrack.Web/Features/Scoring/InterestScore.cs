using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Scoring;

public enum InterestDimension { Product = 0, Tag = 1 }

/// <summary>
/// Materialised interest of one subject in one product or tag, stored as (score, asOf) and decayed
/// lazily on read and on update. The subject is a contact once the visitor is linked, otherwise
/// the anonymous visitor; when a visitor is linked its rows are merged into the contact's and
/// deleted (re-key on link), so a contact's score is one row per target, never a sum at read time.
/// </summary>
public sealed class InterestScore
{
    public long Id { get; set; }
    /// <summary><c>c:{contactId}</c> or <c>v:{visitorId}</c>; see <see cref="Subject"/>.</summary>
    public required string SubjectKey { get; set; }
    public int? ContactId { get; set; }
    public string? VisitorId { get; set; }
    public InterestDimension Dimension { get; set; }
    /// <summary>A product id or a tag id, depending on <see cref="Dimension"/>.</summary>
    public int TargetId { get; set; }
    public double Score { get; set; }
    public DateTime AsOf { get; set; }

    public DecayingScore Value => new(Score, AsOf);
}

public static class Subject
{
    public static string Contact(int contactId) => $"c:{contactId}";
    public static string Visitor(string visitorId) => $"v:{visitorId}";
}

internal sealed class InterestScoreConfiguration : IEntityTypeConfiguration<InterestScore>
{
    public void Configure(EntityTypeBuilder<InterestScore> b)
    {
        b.Property(s => s.SubjectKey).HasMaxLength(40);
        b.HasIndex(s => new { s.SubjectKey, s.Dimension, s.TargetId }).IsUnique();
        b.Property(s => s.VisitorId).HasMaxLength(32);
        b.HasIndex(s => new { s.ContactId, s.Dimension });
        b.HasIndex(s => s.VisitorId);
        b.Ignore(s => s.Value);
    }
}

/// <summary>Client-sent score points a visitor used in one clock hour (see <see cref="ClientBudget"/>).</summary>
public sealed class ClientBudgetUsage
{
    public long Id { get; set; }
    public required string VisitorId { get; set; }
    public DateTime WindowStart { get; set; }
    public double Points { get; set; }
}

internal sealed class ClientBudgetUsageConfiguration : IEntityTypeConfiguration<ClientBudgetUsage>
{
    public void Configure(EntityTypeBuilder<ClientBudgetUsage> b)
    {
        b.Property(u => u.VisitorId).HasMaxLength(32);
        b.HasIndex(u => new { u.VisitorId, u.WindowStart }).IsUnique();
        b.HasIndex(u => u.WindowStart);
    }
}
