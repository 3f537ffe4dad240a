using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Crm;

/// <summary>
/// One broadcast to a segment. Its messages are <c>campaign</c> nudges carrying its id, written in
/// the same transaction as this row; the counts are what the guards decided at send time.
/// </summary>
public sealed class Campaign
{
    public int Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The template with <c>{name}</c>, <c>{product}</c> and <c>{link}</c> placeholders.</summary>
    public required string Message { get; set; }
    /// <summary>The segment as JSON, for the log page.</summary>
    public required string SegmentJson { get; set; }
    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
    public int Matched { get; set; }
    public int Queued { get; set; }
    public int Deferred { get; set; }
    public int SuppressedOptedOut { get; set; }
    public int SuppressedNoOptIn { get; set; }
    public int SuppressedCapped { get; set; }
}

internal sealed class CampaignConfiguration : IEntityTypeConfiguration<Campaign>
{
    public void Configure(EntityTypeBuilder<Campaign> b)
    {
        b.Property(c => c.Name).HasMaxLength(CampaignService.MaxNameLength);
        b.Property(c => c.Message).HasMaxLength(CampaignService.MaxMessageLength);
        b.Property(c => c.SegmentJson).HasMaxLength(1000);
        b.Property(c => c.CreatedBy).HasMaxLength(256);
        b.HasIndex(c => c.CreatedAt);
    }
}
