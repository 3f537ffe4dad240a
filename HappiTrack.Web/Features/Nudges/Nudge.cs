using HappiTrack.Web.Features.Contacts;
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
    /// <summary>
    /// Double opt-in: the one transactional message a pending contact may get ("reply YES ..."); never
    /// marketing, never an offer. In WhatsApp Cloud mode sent as the template named for this kind.
    /// </summary>
    public const string OptInConfirmation = "opt_in_confirmation";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
        { InterestDiscount, CartRescue, VipUpgrade, Campaign, OptInConfirmation };
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
    /// <summary>
    /// In a holdout (control) group: never sent, never counted against the cap or quiet hours, no token. The row
    /// exists so the control arm is measured from the same moment as the treated one (issue 19, <see cref="Holdouts"/>).
    /// </summary>
    public const string HeldOut = "held_out";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
        { Queued, Deferred, Sending, Sent, Failed, Dead, Cancelled, Suppressed, HeldOut };

    /// <summary>Waiting to be sent: these count against the cap and can still be cancelled.</summary>
    public static readonly string[] Pending = [Queued, Deferred, Failed];

    /// <summary>Waiting or being sent right now: at write time these hold the contact's cap, so a second nudge waits behind them.</summary>
    public static readonly string[] PendingOrSending = [.. Pending, Sending];

    /// <summary>An admin may put these back in the queue with a fresh attempt budget.</summary>
    public static readonly string[] Retryable = [Failed, Dead];

    /// <summary>Not sent (and not being sent) yet, so an admin may still call them off.</summary>
    public static readonly string[] Cancellable = [.. Pending, Dead];
}

/// <summary>Why a nudge left the normal path, as stored in <see cref="Nudge.Reason"/>; the guards' reasons are in <see cref="GuardReasons"/>.</summary>
public static class NudgeReasons
{
    public const string CheckedOut = "checked_out";
    public const string RetriedByAdmin = "retried_by_admin";
    public const string CancelledByAdmin = "cancelled_by_admin";
    public const string SentByAdminWaMe = "sent_by_admin_wa_me";
    public const string MarketingLimit = "marketing_limit";
}

/// <summary>The anti-spam guards' reasons (SPEC §5), stored in <see cref="Nudge.Reason"/>.</summary>
public static class GuardReasons
{
    public const string NoOptIn = "no_opt_in";
    public const string OptedOut = "opted_out";
    public const string Capped = "cap";
    public const string QuietHours = "quiet_hours";
    public const string Expired = "expired_before_send";
}

/// <summary>
/// What admins read instead of the stored names (<c>no_opt_in</c>, <c>cap</c>): one human name per
/// state, and the log's status filters, each a predicate over <see cref="Nudge.Status"/> and
/// <see cref="Nudge.Reason"/> that runs in SQL. Kept beside the names they translate.
/// </summary>
public static class NudgeStatusNames
{
    /// <summary>Filter keys, in the order a log offers them, with their names and conditions.</summary>
    public static readonly IReadOnlyList<NudgeStatusFilter> Filters =
    [
        new("queued", "Queued", n => n.Status == NudgeStatuses.Queued || n.Status == NudgeStatuses.Sending),
        new("quiet_hours", "Quiet hours", n => n.Status == NudgeStatuses.Deferred && n.Reason == GuardReasons.QuietHours),
        new("waiting", "Waiting (cap, channel limit)", n => n.Status == NudgeStatuses.Deferred && (n.Reason == null || n.Reason != GuardReasons.QuietHours)),
        new("sent", "Sent", n => n.Status == NudgeStatuses.Sent),
        new("failed", "Failed", n => n.Status == NudgeStatuses.Failed || n.Status == NudgeStatuses.Dead),
        new("no_opt_in", "No opt-in", n => n.Status == NudgeStatuses.Suppressed && n.Reason == GuardReasons.NoOptIn),
        new("opted_out", "Opted out", n => (n.Status == NudgeStatuses.Suppressed || n.Status == NudgeStatuses.Cancelled) && n.Reason == GuardReasons.OptedOut),
        new("cap", "Held by daily cap", n => n.Status == NudgeStatuses.Suppressed && n.Reason == GuardReasons.Capped),
        new("expired", "Expired before sending", n => n.Status == NudgeStatuses.Suppressed && n.Reason == GuardReasons.Expired),
        new("cancelled", "Cancelled", n => n.Status == NudgeStatuses.Cancelled && (n.Reason == null || n.Reason != GuardReasons.OptedOut)),
        new("held_out", HeldOutName, n => n.Status == NudgeStatuses.HeldOut),
    ];

    public const string HeldOutName = "Held out (control group)";

    public static NudgeStatusFilter? Filter(string? key) => Filters.FirstOrDefault(f => f.Key == key);

    /// <summary>The name of a nudge's furthest stage (<see cref="NudgeFunnel.Stage"/>) and, for one held back or waiting, of its reason.</summary>
    public static string Describe(string stage, string? reason) => stage switch
    {
        "converted" => "Bought",
        "clicked" => "Clicked",
        "read" => "Read",
        "delivered" => "Delivered",
        NudgeStatuses.Sent => "Sent",
        NudgeStatuses.Queued => "Queued",
        NudgeStatuses.HeldOut => HeldOutName,
        "failed" => "Failed",
        NudgeStatuses.Deferred => reason switch
        {
            GuardReasons.QuietHours => "Quiet hours",
            GuardReasons.Capped => "Waiting for the daily cap",
            NudgeReasons.MarketingLimit => "WhatsApp marketing limit",
            _ => "Waiting",
        },
        _ => Reason(reason) ?? "Held back",
    };

    /// <summary>A stored reason in words; null for none.</summary>
    public static string? Reason(string? reason) => reason switch
    {
        null or "" => null,
        GuardReasons.NoOptIn => "No opt-in",
        GuardReasons.OptedOut => "Opted out",
        GuardReasons.Capped => "Held by daily cap",
        GuardReasons.QuietHours => "Quiet hours",
        GuardReasons.Expired => "Expired before sending",
        NudgeReasons.CheckedOut => "Bought before it was sent",
        NudgeReasons.RetriedByAdmin => "Retried by an admin",
        NudgeReasons.CancelledByAdmin => "Cancelled by an admin",
        NudgeReasons.SentByAdminWaMe => "Sent by an admin (wa.me)",
        NudgeReasons.MarketingLimit => "WhatsApp marketing limit",
        HoldoutReasons.Holdout => "Control group of this rule or campaign",
        HoldoutReasons.GlobalControl => "Global control group (no marketing)",
        _ => reason,
    };
}

public sealed record NudgeStatusFilter(string Key, string Name, System.Linq.Expressions.Expression<Func<Nudge, bool>> Condition);

/// <summary>
/// One WhatsApp message in the outbox, written in the same transaction as the change that caused
/// it. <see cref="DedupKey"/> is unique, so a rule that fires twice for one cause writes one row.
/// </summary>
/// <remarks>
/// An aggregate: <see cref="Status"/> changes only through the methods below (and, for set-based
/// updates that must not race, through <see cref="NudgeTransitions"/> in this file), so the rules
/// of the lifecycle (queued → sending → sent, deferred/failed back to the queue, dead, cancelled,
/// suppressed) are read in one place. The init accessor lets a test seed a row in any state.
/// </remarks>
public sealed class Nudge
{
    private string _status = NudgeStatuses.Queued;

    public int Id { get; set; }
    public int ContactId { get; set; }
    public Contact Contact { get; set; } = null!;
    public required string Kind { get; set; }
    public string Status { get => _status; init => _status = value; }
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

    /// <summary>At write time the guards decide: queued now, deferred until <see cref="GuardDecision.Until"/>, or suppressed.</summary>
    public void Admit(GuardDecision decision, DateTime now)
    {
        SendAfter = now;
        switch (decision.Verdict)
        {
            case GuardVerdict.Send: Queue(now, decision.Reason); break;
            case GuardVerdict.Defer: Defer(decision.Until!.Value, decision.Reason); break;
            default: Suppress(decision.Reason); break;
        }
    }

    public void Queue(DateTime sendAfter, string? reason = null)
    {
        _status = NudgeStatuses.Queued;
        SendAfter = sendAfter;
        Reason = reason;
    }

    public void Defer(DateTime until, string? reason)
    {
        GiveBackClaim();
        _status = NudgeStatuses.Deferred;
        Reason = reason;
        SendAfter = until;
    }

    /// <param name="sendAfter">When given, the time shown as the nudge's last scheduled moment.</param>
    public void Suppress(string? reason, DateTime? sendAfter = null)
    {
        GiveBackClaim();
        _status = NudgeStatuses.Suppressed;
        Reason = reason;
        if (sendAfter is { } at) SendAfter = at;
    }

    /// <summary>
    /// The contact is in the control arm: the row records the moment it would have been sent (for the lift
    /// analysis) and nothing else happens to it. Only a nudge that was just admitted may be held out.
    /// </summary>
    public void HoldOut(string reason)
    {
        if (_status is not (NudgeStatuses.Queued or NudgeStatuses.Deferred) || Id != 0 || SentAt is not null)
            throw new InvalidOperationException("Only a new, unsent nudge can be held out.");
        _status = NudgeStatuses.HeldOut;
        Reason = reason;
    }

    public void Cancel(string reason)
    {
        GiveBackClaim();
        _status = NudgeStatuses.Cancelled;
        Reason = reason;
    }

    public void MarkSent(DateTime at, string? providerMessageId)
    {
        _status = NudgeStatuses.Sent;
        SentAt = at;
        LeaseUntil = null;
        LastError = null;
        ProviderMessageId = providerMessageId ?? ProviderMessageId;
    }

    /// <summary>A failed attempt: back in the queue at <paramref name="retryAt"/>; the attempt stays counted.</summary>
    public void Fail(string? error, DateTime retryAt)
    {
        _status = NudgeStatuses.Failed;
        LeaseUntil = null;
        LastError = Truncate(error);
        SendAfter = retryAt;
    }

    /// <summary>No more automatic attempts; an admin may <see cref="NudgeTransitions.RetryAsync"/> it.</summary>
    public void DeadLetter(string? error)
    {
        _status = NudgeStatuses.Dead;
        LeaseUntil = null;
        LastError = Truncate(error);
    }

    /// <summary>The first click on the tracked link counts.</summary>
    public void RecordClick(DateTime at) => ClickedAt ??= at;

    /// <summary>
    /// The channel reports sent, delivered or read. Whatever our side recorded, the channel has the
    /// message, so it is never sent again; a late or duplicated report never moves it backwards.
    /// </summary>
    public void RecordDelivery(string deliveryStatus, DateTime at)
    {
        if (_status is NudgeStatuses.Sending or NudgeStatuses.Failed or NudgeStatuses.Dead)
        {
            _status = NudgeStatuses.Sent;
            SentAt ??= at;
            LeaseUntil = null;
            LastError = null;
        }
        if (deliveryStatus == DeliveryStatuses.Delivered) DeliveredAt = Earliest(DeliveredAt, at);
        if (deliveryStatus == DeliveryStatuses.Read) ReadAt = Earliest(ReadAt, at);
        if (DeliveryStatuses.Rank(deliveryStatus) > DeliveryStatuses.Rank(DeliveryStatus)) DeliveryStatus = deliveryStatus;
    }

    /// <summary>The channel accepted the message but could not deliver it.</summary>
    public void RecordDeliveryFailure(string error, DateTime at)
    {
        FailedAt = Earliest(FailedAt, at);
        DeliveryStatus = DeliveryStatuses.Failed;
        LastError = Truncate(error);
    }

    /// <summary>The channel refused it for now (WhatsApp's per-user marketing limit): not an attempt, try again later.</summary>
    public void DeferByChannel(DateTime until, string reason)
    {
        _status = NudgeStatuses.Deferred;
        Reason = reason;
        SendAfter = until;
        SentAt = null;
        ProviderMessageId = null;
        DeliveryStatus = null;
        Attempts = Math.Max(0, Attempts - 1);
    }

    /// <summary>A guard decision or the channel's deferral is not a delivery attempt, so a claim's attempt is given back.</summary>
    private void GiveBackClaim()
    {
        if (_status != NudgeStatuses.Sending) return;
        LeaseUntil = null;
        Attempts = Math.Max(0, Attempts - 1);
    }

    private static DateTime Earliest(DateTime? current, DateTime at) => current is { } c && c <= at ? c : at;
    private static string? Truncate(string? s) => s is null || s.Length <= 1000 ? s : s[..1000];
}

/// <summary>
/// The set-based transitions: each one conditional on the current status in the same UPDATE, so
/// two processors or two admins never both win. Callers narrow the query (by id, contact, cart);
/// the allowed source statuses are applied here.
/// </summary>
public static class NudgeTransitions
{
    /// <summary>Claims a due nudge for sending, if it is still in the state the caller read.</summary>
    public static async Task<bool> ClaimAsync(this IQueryable<Nudge> nudges, int id, string status, DateTime? lease, DateTime leaseUntil, CancellationToken ct) =>
        await nudges.Where(n => n.Id == id && n.Status == status && n.LeaseUntil == lease)
            .ExecuteUpdateAsync(s => s
                .SetProperty(n => n.Status, NudgeStatuses.Sending)
                .SetProperty(n => n.LeaseUntil, leaseUntil)
                .SetProperty(n => n.Attempts, n => n.Attempts + 1), ct) == 1;

    /// <summary>Cancels the nudges among <paramref name="nudges"/> still waiting to be sent.</summary>
    public static Task<int> CancelWaitingAsync(this IQueryable<Nudge> nudges, string reason, CancellationToken ct) =>
        nudges.Where(n => NudgeStatuses.Pending.Contains(n.Status))
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.Status, NudgeStatuses.Cancelled).SetProperty(n => n.Reason, reason), ct);

    public static Task<int> CancelByAdminAsync(this IQueryable<Nudge> nudges, CancellationToken ct) =>
        nudges.Where(n => NudgeStatuses.Cancellable.Contains(n.Status))
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.Status, NudgeStatuses.Cancelled).SetProperty(n => n.Reason, NudgeReasons.CancelledByAdmin), ct);

    /// <summary>Unsent offers that outlived their validity are void.</summary>
    public static Task<int> SuppressExpiredAsync(this IQueryable<Nudge> nudges, DateTime now, CancellationToken ct) =>
        nudges.Where(n => n.ExpiresAt <= now && NudgeStatuses.Pending.Contains(n.Status))
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.Status, NudgeStatuses.Suppressed).SetProperty(n => n.Reason, GuardReasons.Expired), ct);

    /// <summary>A failed or dead nudge goes back in the queue, due now, with a fresh attempt budget (the guards still apply at dispatch).</summary>
    public static Task<int> RetryAsync(this IQueryable<Nudge> nudges, DateTime now, CancellationToken ct) =>
        nudges.Where(n => NudgeStatuses.Retryable.Contains(n.Status))
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.Status, NudgeStatuses.Queued).SetProperty(n => n.SendAfter, now)
                .SetProperty(n => n.Attempts, 0).SetProperty(n => n.LeaseUntil, (DateTime?)null)
                .SetProperty(n => n.Reason, NudgeReasons.RetriedByAdmin), ct);

    /// <summary>A waiting nudge moves to the front of the queue.</summary>
    public static Task<int> QueueNowAsync(this IQueryable<Nudge> nudges, DateTime now, CancellationToken ct) =>
        nudges.Where(n => NudgeStatuses.Pending.Contains(n.Status))
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.Status, NudgeStatuses.Queued).SetProperty(n => n.SendAfter, now), ct);

    /// <summary>An admin sent it from their own phone (<c>wa.me</c>), if it is still in the state they saw.</summary>
    public static Task<int> MarkSentByAdminAsync(this IQueryable<Nudge> nudges, string seenStatus, DateTime now, CancellationToken ct) =>
        nudges.Where(n => n.Status == seenStatus && NudgeStatuses.Pending.Contains(n.Status))
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.Status, NudgeStatuses.Sent).SetProperty(n => n.SentAt, now)
                .SetProperty(n => n.Reason, NudgeReasons.SentByAdminWaMe).SetProperty(n => n.LastError, (string?)null), ct);
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
