using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Audit;

/// <summary>
/// One admin action. Append-only: the app has no code that updates or deletes these rows, and the
/// Issue18AuditLog migration adds database triggers that refuse UPDATE and DELETE on both providers.
/// </summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTime At { get; set; }
    /// <summary>The user name (email) of a cookie session, or <c>api-token:&lt;name&gt;</c> for a bearer caller.</summary>
    public required string Actor { get; set; }
    public required string Action { get; set; }
    public string? Target { get; set; }
    /// <summary>JSON, e.g. a rule change's before/after.</summary>
    public string? Details { get; set; }
    public string? Ip { get; set; }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> b)
    {
        b.ToTable("AuditEntries");
        b.Property(e => e.Actor).HasMaxLength(256);
        b.Property(e => e.Action).HasMaxLength(64);
        b.Property(e => e.Target).HasMaxLength(256);
        b.Property(e => e.Ip).HasMaxLength(64);
        b.HasIndex(e => e.At);
        b.HasIndex(e => new { e.Actor, e.At });
        b.HasIndex(e => new { e.Action, e.At });
    }
}
