using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Crm;

public static class CampaignStates
{
    /// <summary>Its messages are written (the outbox sends them).</summary>
    public const string Sent = "sent";
    /// <summary>Waits for <see cref="Campaign.ScheduledFor"/>; the <c>campaigns:start</c> job writes its messages then.</summary>
    public const string Scheduled = "scheduled";
    /// <summary>Called off before it started; it never writes a message.</summary>
    public const string Cancelled = "cancelled";

    public static string Describe(string status) => status switch
    {
        Sent => "Sent",
        Scheduled => "Scheduled",
        Cancelled => "Cancelled",
        _ => status,
    };
}

/// <summary>
/// One broadcast to a segment. Its messages are <c>campaign</c> nudges carrying its id, written in
/// the same transaction as the row turns <see cref="CampaignStates.Sent"/>; the counts are what the
/// guards decided at that moment (for a scheduled campaign: when it started, not when it was scheduled).
/// </summary>
public sealed class Campaign
{
    public int Id { get; set; }
    public string State { get; set; } = CampaignStates.Sent;
    /// <summary>UTC; set for a campaign that was scheduled rather than sent at once.</summary>
    public DateTime? ScheduledFor { get; set; }
    /// <summary>When its messages were written (UTC).</summary>
    public DateTime? StartedAt { get; set; }
    public DateTime? CancelledAt { get; set; }
    public string? CancelledBy { get; set; }
    /// <summary>Made by <c>seed-demo</c>: its messages are invented history, never sent.</summary>
    public bool IsDemo { get; set; }
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
    /// <summary>Share of the reachable contacts kept back as the campaign's control group (0–50).</summary>
    public int HoldoutPercent { get; set; }
    /// <summary>How many were held out (the campaign's own control group and the global one) when it started.</summary>
    public int HeldOut { get; set; }
}

internal sealed class CampaignConfiguration : IEntityTypeConfiguration<Campaign>
{
    public void Configure(EntityTypeBuilder<Campaign> b)
    {
        b.Property(c => c.Name).HasMaxLength(CampaignService.MaxNameLength);
        b.Property(c => c.Message).HasMaxLength(CampaignService.MaxMessageLength);
        b.Property(c => c.SegmentJson).HasMaxLength(1000);
        b.Property(c => c.CreatedBy).HasMaxLength(256);
        b.Property(c => c.CancelledBy).HasMaxLength(256);
        // Rows from before scheduling existed were all sent at once.
        b.Property(c => c.State).HasMaxLength(16).HasDefaultValue(CampaignStates.Sent);
        b.HasIndex(c => c.CreatedAt);
        b.HasIndex(c => new { c.State, c.ScheduledFor });
    }
}
