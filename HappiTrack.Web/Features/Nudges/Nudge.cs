using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Nudges;

public static class NudgeKinds
{
    public const string InterestDiscount = "interest_discount";
    public const string CartRescue = "cart_rescue";
    public const string VipUpgrade = "vip_upgrade";
    public const string Campaign = "campaign";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
        { InterestDiscount, CartRescue, VipUpgrade, Campaign };
}

public static class NudgeStatuses
{
    public const string Queued = "queued";
    public const string Deferred = "deferred";
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Failed = "failed";
    public const string Dead = "dead";
    public const string Cancelled = "cancelled";
    public const string Suppressed = "suppressed";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
        { Queued, Deferred, Sending, Sent, Failed, Dead, Cancelled, Suppressed };

    /// <summary>Waiting to be sent: these count against the cap and can still be cancelled.</summary>
    public static readonly string[] Pending = [Queued, Deferred, Failed];
}

/// <summary>
/// One WhatsApp message in the outbox, written in the same transaction as the change that caused
/// it. <see cref="DedupKey"/> is unique, so a rule that fires twice for one cause writes one row.
/// </summary>
public sealed class Nudge
{
    public int Id { get; set; }
    public int ContactId { get; set; }
    public Contact Contact { get; set; } = null!;
    public required string Kind { get; set; }
    public required string Status { get; set; }
    public required string DedupKey { get; set; }
    /// <summary>The random part of the tracked link <c>/r/{code}</c>.</summary>
    public required string Code { get; set; }
    public required string Message { get; set; }
    /// <summary>Absolute tracked link as written into <see cref="Message"/>.</summary>
    public required string Link { get; set; }
    public int? TokenId { get; set; }
    public DiscountToken? Token { get; set; }
    /// <summary>
    /// The raw token, needed to send the shopper from <c>/r/{code}</c> to <c>/checkout?token=</c>.
    /// Erased once the token is redeemed or expired; the tokens table only holds hashes.
    /// </summary>
    public string? TokenValue { get; set; }
    public int? ProductId { get; set; }
    /// <summary>For cart rescue: the cart that was abandoned and a snapshot of its lines.</summary>
    public int? CartId { get; set; }
    public string? CartVisitorId { get; set; }
    public string? CartSnapshot { get; set; }
    public int? CampaignId { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>Not before this time: quiet hours, the per-contact cap and retry backoff push it later.</summary>
    public DateTime SendAfter { get; set; }
    /// <summary>How long the nudge may wait for the guards (creation + the offer's validity); deferred past it, it is suppressed as stale. Its token counts its validity from the send.</summary>
    public DateTime? ExpiresAt { get; set; }
    public DateTime? SentAt { get; set; }
    public DateTime? ClickedAt { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }
    /// <summary>Why the nudge is deferred, suppressed or cancelled (e.g. <c>quiet_hours</c>, <c>opted_out</c>).</summary>
    public string? Reason { get; set; }
    /// <summary>A claimed (sending) nudge whose lease ran out was abandoned by a crashed processor.</summary>
    public DateTime? LeaseUntil { get; set; }

    /// <summary>The channel's id for the sent message (WhatsApp's <c>wamid</c>); delivery statuses are matched on it.</summary>
    public string? ProviderMessageId { get; set; }
    /// <summary>The furthest delivery status the channel reported: <see cref="DeliveryStatuses"/>.</summary>
    public string? DeliveryStatus { get; set; }
    public DateTime? DeliveredAt { get; set; }
    public DateTime? ReadAt { get; set; }
    /// <summary>The channel reported the message undeliverable (after it had accepted it).</summary>
    public DateTime? FailedAt { get; set; }
    /// <summary>The first order attributed to this nudge; <see cref="RevenueCents"/> sums every attributed order.</summary>
    public DateTime? ConvertedAt { get; set; }
    public long RevenueCents { get; set; }
}

/// <summary>
/// What the channel reports after accepting a message. Ranked so that a late or duplicated report
/// never moves a nudge backwards: <c>read</c> stays <c>read</c> whatever arrives after it.
/// </summary>
public static class DeliveryStatuses
{
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string Read = "read";
    public const string Failed = "failed";

    public static int Rank(string? status) => status switch
    {
        Sent => 1,
        Failed => 2,
        Delivered => 3,
        Read => 4,
        _ => 0,
    };
}

internal sealed class NudgeConfiguration : IEntityTypeConfiguration<Nudge>
{
    public void Configure(EntityTypeBuilder<Nudge> b)
    {
        b.Property(n => n.Kind).HasMaxLength(32);
        b.Property(n => n.Status).HasMaxLength(16);
        b.Property(n => n.DedupKey).HasMaxLength(128);
        b.Property(n => n.Code).HasMaxLength(32);
        b.Property(n => n.Message).HasMaxLength(2000);
        b.Property(n => n.Link).HasMaxLength(512);
        b.Property(n => n.TokenValue).HasMaxLength(64);
        b.Property(n => n.CartVisitorId).HasMaxLength(32);
        b.Property(n => n.CartSnapshot).HasMaxLength(4096);
        b.Property(n => n.LastError).HasMaxLength(1000);
        b.Property(n => n.Reason).HasMaxLength(200);
        b.Property(n => n.ProviderMessageId).HasMaxLength(128);
        b.Property(n => n.DeliveryStatus).HasMaxLength(16);
        b.HasIndex(n => n.DedupKey).IsUnique();
        b.HasIndex(n => n.Code).IsUnique();
        b.HasIndex(n => new { n.Status, n.SendAfter });
        b.HasIndex(n => new { n.ContactId, n.CreatedAt });
        b.HasIndex(n => new { n.ContactId, n.SentAt });
        b.HasIndex(n => n.CartId);
        b.HasIndex(n => n.ProviderMessageId);
        b.HasIndex(n => new { n.ContactId, n.ClickedAt });
        b.HasOne(n => n.Token).WithMany().HasForeignKey(n => n.TokenId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne(n => n.Contact).WithMany().HasForeignKey(n => n.ContactId).OnDelete(DeleteBehavior.Cascade);
    }
}
