using System.Text.Json;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Crm;

/// <summary>Who a campaign goes to; every criterion left null matches everyone.</summary>
public sealed record CampaignSegment(bool? Vip = null, double? MinScore = null, string? Tag = null, bool? AbandonedCart = null, int? SeenWithinDays = null);

/// <param name="HoldoutPercent">Share of the reachable contacts held out as the campaign's control group (0–50), to measure its lift.</param>
public sealed record CampaignDraft(string? Name, string? Message, CampaignSegment? Segment, int HoldoutPercent = 0);

public sealed record SuppressedCounts(int OptedOut, int Capped, int NoOptIn);

/// <summary>
/// What a broadcast did (or, for a preview, would do). <see cref="Deferred"/> wait for quiet hours to end and are counted in <see cref="Queued"/>.
/// <see cref="HeldOut"/> are contacts the guards would have let through but a control group kept back (never sent, not in <see cref="Queued"/>).
/// </summary>
public sealed record CampaignOutcome(int? CampaignId, int Matched, int Queued, int Deferred, SuppressedCounts Suppressed, int AllContacts, int HeldOut = 0);

/// <summary>One campaign message: <see cref="Status"/> is the furthest stage of its <see cref="Funnel"/>.</summary>
public sealed record CampaignLogEntry(
    int NudgeId, int ContactId, string Phone, string? Name, string Status, string StatusName, string? Reason,
    DateTime CreatedAt, DateTime SendAfter, DateTime? SentAt, DateTime? DeliveredAt, DateTime? ReadAt,
    DateTime? ClickedAt, DateTime? ConvertedAt, NudgeFunnel Funnel);

/// <summary><see cref="Total"/> counts the messages the filter keeps; <see cref="Messages"/> is one page of them (all, without a query).</summary>
public sealed record CampaignLog(int CampaignId, string Name, string Message, DateTime CreatedAt, string? CreatedBy,
    CampaignOutcome Outcome, IReadOnlyList<CampaignLogEntry> Messages, string State = CampaignStates.Sent, DateTime? ScheduledFor = null,
    DateTime? StartedAt = null, int Total = 0, int Page = 1, int PageSize = 0);

/// <summary>One message as it would go out, to a real recipient of the segment.</summary>
public sealed record CampaignSample(int ContactId, string? Name, string Text);

/// <summary>
/// A preview: <see cref="Reach"/> is how many the guards let through (queued now or after quiet hours), the number a send
/// confirms. Of them, <see cref="GlobalControl"/> are in the global control group (held out for certain) and about
/// <see cref="HoldoutPercent"/> % of the rest will be the campaign's control group: which ones is decided by a hash of the
/// campaign's id, which does not exist yet, so <see cref="ExpectedReachAfterHoldout"/> is an expectation.
/// </summary>
public sealed record CampaignPreview(CampaignOutcome Outcome, IReadOnlyList<CampaignSample> Samples, string PreviewId, DateTime ExpiresAt,
    int HoldoutPercent = 0, int GlobalControl = 0)
{
    public int Reach => Outcome.Queued;
    public int ExpectedHeldOut => GlobalControl + (int)Math.Round((Reach - GlobalControl) * HoldoutPercent / 100.0, MidpointRounding.AwayFromZero);
    public int ExpectedReachAfterHoldout => Reach - ExpectedHeldOut;
}

/// <summary>What the sender confirmed: a preview id from a preview of this message and segment, and/or the reach they saw.</summary>
public sealed record SendConfirmation(string? PreviewId, int? Confirm);

public enum SendRefusal { None, Missing, Changed, Expired, ReachChanged, Nobody }

/// <summary>Either the sent campaign's outcome or why nothing was sent (<see cref="CurrentReach"/> when known).</summary>
public sealed record CampaignSendResult(CampaignOutcome? Outcome, SendRefusal Refusal, string? Problem, int? CurrentReach)
{
    public bool Sent => Refusal == SendRefusal.None;
    public static CampaignSendResult Refuse(SendRefusal refusal, string problem, int? currentReach = null) => new(null, refusal, problem, currentReach);
}

/// <summary>
/// One campaign with its messages counted from the outbox as they stand now, so the columns add up:
/// <see cref="Matched"/> = <see cref="HeldBack"/> + <see cref="HeldOut"/> + <see cref="Waiting"/> + <see cref="Sent"/> + <see cref="Failed"/>;
/// <see cref="Clicked"/> is a part of <see cref="Sent"/>.
/// </summary>
public sealed record CampaignListItem(int Id, string Name, DateTime CreatedAt, string? CreatedBy, string State, DateTime? ScheduledFor, DateTime? StartedAt,
    int Matched, int HeldBack, int Waiting, int Sent, int Failed, int Clicked, int HeldOut = 0);

/// <summary>A page of a campaign's log: <paramref name="Status"/> is a <see cref="NudgeStatusNames.Filters"/> key or null for all.</summary>
public sealed record CampaignLogQuery(string? Status = null, int Page = 1, int PageSize = 50)
{
    public static readonly int[] PageSizes = [25, 50, 100];
}

/// <summary>
/// Segments, previews and sends campaigns. Each recipient gets one <c>campaign</c> nudge written by
/// the brain's <see cref="NudgeOutbox"/> (so the same guards decide), in one transaction with the
/// <see cref="Campaign"/> row; the de-duplication key is per campaign and contact. A campaign is a
/// broadcast, not an offer that must reach someone: a contact the per-contact cap would hold back is
/// suppressed rather than queued behind other messages, so nobody gets yesterday's campaign tomorrow.
/// Quiet hours only defer it.
/// </summary>
public sealed class CampaignService(AppDbContext db, NudgeOutbox outbox, RuleSettingsService settingsService, ShopContext shop, IOutboxTrigger outboxTrigger,
    TimeProvider clock, IAuditLog audit, CampaignPreviews previews, HoldoutKeys holdoutKeys, Microsoft.Extensions.Options.IOptions<MarketingOptions> marketing)
{
    public const int MaxNameLength = 100;
    public const int MaxMessageLength = 1000;
    public const int MaxSeenWithinDays = 3650;
    /// <summary>A campaign deferred by quiet hours longer than this is stale and is suppressed at dispatch.</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromHours(24);
    public const string CappedReason = "cap";
    /// <summary>Rendered sample messages in a preview.</summary>
    public const int SampleCount = 3;
    public static readonly TimeSpan MaxScheduleAhead = TimeSpan.FromDays(90);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Field-named messages (<c>name</c>, <c>message</c>, <c>segment.tag</c>...); empty when valid.</summary>
    public async Task<Dictionary<string, string[]>> ValidateAsync(CampaignDraft draft, bool requireName, bool requireMessage, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(draft.Name)) { if (requireName) errors["name"] = ["Give the campaign a name."]; }
        else if (draft.Name.Length > MaxNameLength || draft.Name.Any(char.IsControl)) errors["name"] = [$"The name must be text of at most {MaxNameLength} characters."];
        if (string.IsNullOrWhiteSpace(draft.Message)) { if (requireMessage) errors["message"] = ["Write the message to send."]; }
        else if (draft.Message.Length > MaxMessageLength) errors["message"] = [$"Keep the message under {MaxMessageLength} characters."];
        if (draft.HoldoutPercent is < 0 or > MarketingOptions.MaxPercent)
            errors["holdoutPercent"] = [$"The holdout must be a whole percentage between 0 and {MarketingOptions.MaxPercent}."];
        var segment = draft.Segment ?? new CampaignSegment();
        if (segment.MinScore is { } min && (double.IsNaN(min) || min < 0 || min > 1_000_000))
            errors["segment.minScore"] = ["The minimum score must be a number between 0 and 1000000."];
        if (segment.SeenWithinDays is { } days && (days < 1 || days > MaxSeenWithinDays))
            errors["segment.seenWithinDays"] = [$"'Seen within' must be between 1 and {MaxSeenWithinDays} days."];
        if (segment.Tag is not null)
        {
            var slug = segment.Tag.Trim();
            if (slug.Length == 0 || slug.Length > 100 || !await db.Tags.AnyAsync(t => t.Slug == slug, ct))
                errors["segment.tag"] = ["Unknown tag. Use the slug of a catalog tag, e.g. gaming."];
        }
        return errors;
    }

    /// <summary>
    /// How many contacts match, what the guards would do to each and (given the message) three of the
    /// messages as they would go out, without writing anything but the audit row. The preview id vouches
    /// for this message, segment and reach for <see cref="CampaignPreviews.Validity"/>.
    /// </summary>
    public Task<CampaignPreview> PreviewAsync(CampaignSegment segment, string? message, CancellationToken ct) =>
        PreviewAsync(segment, message, holdoutPercent: 0, ct);

    public async Task<CampaignPreview> PreviewAsync(CampaignSegment segment, string? message, int holdoutPercent, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var (outcome, recipients, globalControl) = await CountAsync(segment, now, ct);

        var samples = new List<CampaignSample>();
        if (!string.IsNullOrEmpty(message))
        {
            var products = await ProductNamesAsync(recipients, ct);
            // Each recipient gets their own code; the sample shows where it goes.
            var link = shop.BaseUrl + "/r/…";
            samples.AddRange(recipients.Select(c => new CampaignSample(c.Id, c.Name,
                Render(message, c.Name, c.MostDesiredProductId is { } pid ? products.GetValueOrDefault(pid) : null, link))));
        }
        var previewId = previews.Issue(new CampaignPreviewTicket(CampaignPreviews.Fingerprint(message, segment, holdoutPercent), outcome.Queued, now));
        var preview = new CampaignPreview(outcome, samples, previewId, now + CampaignPreviews.Validity, holdoutPercent, globalControl);
        await audit.RecordAsync(AuditActions.CampaignPreview, null, new { segment, outcome.Matched, reach = outcome.Queued, outcome.Suppressed, holdoutPercent,
            expectedReachAfterHoldout = preview.ExpectedReachAfterHoldout }, ct);
        return preview;
    }

    /// <summary>What the guards would do to the segment now, the first recipients (for samples) and how many the global control group holds.</summary>
    private async Task<(CampaignOutcome Outcome, List<Contact> Recipients, int GlobalControl)> CountAsync(CampaignSegment segment, DateTime now, CancellationToken ct)
    {
        var settings = await settingsService.GetAsync(ct);
        var matched = await MatchingAsync(segment, settings, now, ct);
        var since = now - TimeSpan.FromHours(settings.Guards.WindowHours);
        var ids = Matching(segment, settings, now).Select(c => c.Id);
        // The same inputs NudgeOutbox.WriteAsync gathers per contact, gathered for the whole segment at once.
        var sends = await db.Set<Nudge>().AsNoTracking()
            .Where(n => ids.Contains(n.ContactId) && n.Kind != NudgeKinds.OptInConfirmation // transactional, not marketing: outside the cap
                && ((n.SentAt != null && n.SentAt > since)
                    || NudgeStatuses.PendingOrSending.Contains(n.Status)))
            .Select(n => new { n.ContactId, n.SentAt, n.SendAfter, n.Status })
            .ToListAsync(ct);
        var pending = NudgeStatuses.PendingOrSending;
        var byContact = sends.GroupBy(s => s.ContactId).ToDictionary(g => g.Key, g => g
            .SelectMany(s => new[] { s.SentAt > since ? s.SentAt : null, pending.Contains(s.Status) ? s.SendAfter : (DateTime?)null })
            .OfType<DateTime>().ToList());

        var tally = new Tally();
        var recipients = new List<Contact>(SampleCount);
        var global = marketing.Value.GlobalControlPercent;
        var key = global > 0 ? await holdoutKeys.GetAsync(db, ct) : null;
        var globalControl = 0;
        foreach (var contact in matched)
        {
            var recent = byContact.GetValueOrDefault(contact.Id) ?? [];
            var decision = NudgeGuards.Decide(new GuardInput(contact.OptedIn, contact.OptedOut, recent, now + Validity), now, settings.Guards, shop.TimeZone);
            var status = StatusFor(decision.Verdict, decision.Reason);
            tally.Count(status, decision.Reason);
            if (status == NudgeStatuses.Suppressed) continue;
            if (key is not null && Holdouts.IsHeldOut(key, contact.Id, Holdouts.GlobalSubject, Holdouts.GlobalPeriod, global)) globalControl++;
            else if (recipients.Count < SampleCount) recipients.Add(contact);
        }
        return (tally.Outcome(null, matched.Count, await db.Contacts.CountAsync(ct)), recipients, globalControl);
    }

    /// <summary>
    /// Sends only what someone saw: the confirmation must be a current preview of this exact message
    /// and segment, or a count equal to the reach right now. The reach is compared again inside the
    /// write transaction, so a segment that grew or shrank since the preview is refused, not sent.
    /// </summary>
    public async Task<CampaignSendResult> SendAsync(CampaignDraft draft, SendConfirmation confirmation, string? createdBy, CancellationToken ct)
    {
        var segment = draft.Segment ?? new CampaignSegment();
        var now = clock.GetUtcNow().UtcDateTime;
        var (refusal, expected) = Check(draft, confirmation, now);
        if (refusal is not null) return refusal;

        var campaign = NewCampaign(draft, segment, createdBy, now);
        campaign.StartedAt = now;
        var outcome = (await WriteAsync(campaign, segment, expected, ct))!;
        if (outcome.Queued + outcome.HeldOut != expected)
            return CampaignSendResult.Refuse(SendRefusal.ReachChanged,
                $"The campaign would now reach {outcome.Queued + outcome.HeldOut} contacts, not the {expected} you confirmed. Check the new preview and confirm again.", outcome.Queued + outcome.HeldOut);
        await audit.RecordAsAsync(createdBy ?? "(unknown)", AuditActions.CampaignSend, $"campaign:{campaign.Id}",
            new { name = campaign.Name, segment, outcome.Matched, outcome.Queued, outcome.Deferred, outcome.Suppressed, outcome.HeldOut, campaign.HoldoutPercent }, ct);
        return new CampaignSendResult(outcome, SendRefusal.None, null, outcome.Queued + outcome.HeldOut);
    }

    private (CampaignSendResult? Refusal, int Expected) Check(CampaignDraft draft, SendConfirmation confirmation, DateTime now)
    {
        var segment = draft.Segment ?? new CampaignSegment();
        if (!string.IsNullOrEmpty(confirmation.PreviewId))
        {
            var ticket = previews.Read(confirmation.PreviewId);
            if (ticket is null)
                return (CampaignSendResult.Refuse(SendRefusal.Missing, "That preview id is not valid here. Preview the campaign again."), 0);
            if (ticket.Fingerprint != CampaignPreviews.Fingerprint(draft.Message, segment, draft.HoldoutPercent))
                return (CampaignSendResult.Refuse(SendRefusal.Changed, "The message or the segment changed after the preview. Preview again and check the new numbers."), 0);
            if (now - ticket.IssuedAt > CampaignPreviews.Validity || ticket.IssuedAt > now + TimeSpan.FromMinutes(1))
                return (CampaignSendResult.Refuse(SendRefusal.Expired, $"The preview is older than {CampaignPreviews.Validity.TotalMinutes:0} minutes. Preview again."), 0);
            if (confirmation.Confirm is { } count && count != ticket.Reach)
                return (CampaignSendResult.Refuse(SendRefusal.ReachChanged, $"The confirmed count {count} is not the preview's reach {ticket.Reach}.", ticket.Reach), 0);
            return ticket.Reach <= 0 ? (Nobody(), 0) : (null, ticket.Reach);
        }
        if (confirmation.Confirm is { } confirmed) return confirmed <= 0 ? (Nobody(), 0) : (null, confirmed);
        return (CampaignSendResult.Refuse(SendRefusal.Missing, "Preview the campaign first, then confirm the number of contacts it goes to."), 0);

        static CampaignSendResult Nobody() => CampaignSendResult.Refuse(SendRefusal.Nobody, "This campaign would reach nobody, so there is nothing to send.", 0);
    }

    /// <summary>
    /// Parses a <c>datetime-local</c> value as the shop's wall-clock time. A time the clocks skip
    /// (spring forward) is refused rather than silently moved; an ambiguous one (fall back) is the first.
    /// </summary>
    public bool TryParseSchedule(string? local, out DateTime utc, out string? error) => TryParseSchedule(local, refuseAmbiguous: false, out utc, out error);

    /// <param name="refuseAmbiguous">
    /// True for the API: a caller that cannot see the page's confirmation must not get an hour it did not mean,
    /// so a wall time that happens twice is refused instead of read as the first.
    /// </param>
    public bool TryParseSchedule(string? local, bool refuseAmbiguous, out DateTime utc, out string? error)
    {
        utc = default;
        error = null;
        if (!DateTime.TryParseExact(local?.Trim(), ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm"],
                System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var wall))
        {
            error = "Pick a date and time to send, e.g. 2026-12-24 09:30.";
            return false;
        }
        var zone = shop.TimeZone;
        if (zone.IsInvalidTime(wall))
        {
            error = $"{wall:yyyy-MM-dd HH:mm} does not exist in {zone.Id} (the clocks change then). Pick another time.";
            return false;
        }
        if (refuseAmbiguous && zone.IsAmbiguousTime(wall))
        {
            error = $"{wall:yyyy-MM-dd HH:mm} happens twice in {zone.Id} (the clocks go back then). Pick a time outside that hour.";
            return false;
        }
        utc = zone.IsAmbiguousTime(wall)
            ? DateTime.SpecifyKind(wall - zone.GetAmbiguousTimeOffsets(wall).Max(), DateTimeKind.Utc)
            : TimeZoneInfo.ConvertTimeToUtc(wall, zone);
        var now = clock.GetUtcNow().UtcDateTime;
        if (utc <= now.AddMinutes(1)) error = "Pick a time in the future (shop time), or send it now.";
        else if (utc > now + MaxScheduleAhead) error = $"Schedule at most {MaxScheduleAhead.TotalDays:0} days ahead.";
        return error is null;
    }

    public DateTime ShopTime(DateTime utc) => TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), shop.TimeZone);

    public string ShopZoneName => shop.TimeZone.Id;

    private static Campaign NewCampaign(CampaignDraft draft, CampaignSegment segment, string? createdBy, DateTime now) => new()
    {
        Name = draft.Name!.Trim(),
        Message = draft.Message!,
        SegmentJson = JsonSerializer.Serialize(segment, Json),
        HoldoutPercent = draft.HoldoutPercent,
        CreatedAt = now,
        CreatedBy = createdBy,
    };

    /// <summary>
    /// Saves the campaign to start at <paramref name="scheduledForUtc"/>, after the same preview check
    /// as a send. Its reach is decided when it starts (people opt in and out meanwhile); nothing is written to the outbox now.
    /// </summary>
    public async Task<CampaignSendResult> ScheduleAsync(CampaignDraft draft, SendConfirmation confirmation, DateTime scheduledForUtc, string? createdBy, CancellationToken ct)
    {
        var segment = draft.Segment ?? new CampaignSegment();
        var now = clock.GetUtcNow().UtcDateTime;
        var (refusal, expected) = Check(draft, confirmation, now);
        if (refusal is not null) return refusal;
        if (string.IsNullOrEmpty(confirmation.PreviewId))
        {
            // A bare count (the API's) vouches for nothing until it is compared: nothing is written now that a
            // transaction could check later, so the reach is counted here, as the preview would count it.
            var reach = (await CountAsync(segment, now, ct)).Outcome.Queued;
            if (reach != expected)
                return CampaignSendResult.Refuse(SendRefusal.ReachChanged,
                    $"The campaign would now reach {reach} contacts, not the {expected} you confirmed. Check the new preview and confirm again.", reach);
        }
        var campaign = NewCampaign(draft, segment, createdBy, now);
        campaign.State = CampaignStates.Scheduled;
        campaign.ScheduledFor = scheduledForUtc;
        db.Add(campaign);
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        await audit.RecordAsAsync(createdBy ?? "(unknown)", AuditActions.CampaignSchedule, $"campaign:{campaign.Id}",
            new { name = campaign.Name, segment, scheduledFor = scheduledForUtc, reachAtPreview = expected }, ct);
        return new CampaignSendResult(new CampaignOutcome(campaign.Id, 0, 0, 0, new SuppressedCounts(0, 0, 0), 0), SendRefusal.None, null, expected);
    }

    public Task<Campaign?> FindAsync(int campaignId, CancellationToken ct) =>
        db.Set<Campaign>().AsNoTracking().FirstOrDefaultAsync(c => c.Id == campaignId, ct);

    /// <summary>Calls off a scheduled campaign that has not started; false when it started, was cancelled or does not exist.</summary>
    public async Task<bool> CancelAsync(int campaignId, string? cancelledBy, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var cancelled = await db.Set<Campaign>().Where(c => c.Id == campaignId && c.State == CampaignStates.Scheduled)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.State, CampaignStates.Cancelled)
                .SetProperty(c => c.CancelledAt, now).SetProperty(c => c.CancelledBy, cancelledBy), ct) == 1;
        if (cancelled) await audit.RecordAsAsync(cancelledBy ?? "(unknown)", AuditActions.CampaignCancel, $"campaign:{campaignId}", null, ct);
        return cancelled;
    }

    /// <summary>Starts every scheduled campaign that is due (the <c>campaigns:start</c> job); returns how many started.</summary>
    public async Task<int> StartDueAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var due = await db.Set<Campaign>().AsNoTracking()
            .Where(c => c.State == CampaignStates.Scheduled && c.ScheduledFor <= now)
            .OrderBy(c => c.ScheduledFor).ThenBy(c => c.Id).ToListAsync(ct);
        var started = 0;
        foreach (var campaign in due)
        {
            var segment = JsonSerializer.Deserialize<CampaignSegment>(campaign.SegmentJson, Json) ?? new CampaignSegment();
            var outcome = await WriteAsync(campaign, segment, expectedReach: null, ct);
            // Null: cancelled meanwhile, or another instance started it first.
            if (outcome is null) continue;
            started++;
            await audit.RecordAsAsync("(scheduler)", AuditActions.CampaignSend, $"campaign:{campaign.Id}",
                new { name = campaign.Name, segment, scheduledFor = campaign.ScheduledFor, outcome.Matched, outcome.Queued, outcome.Deferred, outcome.Suppressed }, ct);
        }
        return started;
    }

    /// <summary>
    /// Writes the campaign and one nudge per matching contact in one transaction; when
    /// <paramref name="expectedReach"/> is given and the guards would queue a different number, nothing is written.
    /// </summary>
    private async Task<CampaignOutcome?> WriteAsync(Campaign campaign, CampaignSegment segment, int? expectedReach, CancellationToken ct)
    {
        var settings = await settingsService.GetAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var transaction = await db.Database.BeginWriteTransactionAsync(ct);
        if (campaign.Id == 0) db.Add(campaign);
        else
        {
            // Claims the scheduled campaign in the transaction that writes its messages, so a cancel and
            // a start (or two instances' starts) never both win.
            var claimed = await db.Set<Campaign>().Where(c => c.Id == campaign.Id && c.State == CampaignStates.Scheduled)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.State, CampaignStates.Sent).SetProperty(c => c.StartedAt, now), ct);
            if (claimed == 0)
            {
                await transaction.RollbackAsync(ct);
                return null;
            }
            db.Attach(campaign);
        }
        await db.SaveChangesAsync(ct);

        var matched = await MatchingAsync(segment, settings, now, ct);
        var productNames = await ProductNamesAsync(matched, ct);
        var message = campaign.Message;
        var requests = matched.Select(contact =>
        {
            var product = contact.MostDesiredProductId is { } pid ? productNames.GetValueOrDefault(pid) : null;
            return (contact, new NudgeRequest(
                NudgeKinds.Campaign,
                $"campaign:{campaign.Id}:{contact.Id}",
                now + Validity,
                (link, _) => new NudgeContent(Render(message, contact.Name, product, link)),
                n =>
                {
                    n.CampaignId = campaign.Id;
                    n.ProductId = contact.MostDesiredProductId;
                },
                campaign.HoldoutPercent > 0 ? HoldoutGroup.ForCampaign(campaign.Id, campaign.HoldoutPercent) : null));
        }).ToList();
        var tally = new Tally();
        foreach (var nudge in await outbox.WriteManyAsync(db, requests, settings, now, ct))
        {
            if (nudge is null) continue;
            if (nudge.Status == NudgeStatuses.Deferred && nudge.Reason == GuardReasons.Capped)
            {
                nudge.Suppress(GuardReasons.Capped, sendAfter: now);
            }
            tally.Count(nudge.Status, nudge.Reason);
        }
        var outcome = tally.Outcome(campaign.Id, matched.Count, await db.Contacts.CountAsync(ct));
        // The confirmed reach is before the holdout: which contacts are held out depends on the campaign's id, unknown at preview.
        if (expectedReach is { } expected && outcome.Queued + outcome.HeldOut != expected)
        {
            await transaction.RollbackAsync(ct);
            db.ChangeTracker.Clear();
            return outcome with { CampaignId = null };
        }
        campaign.Matched = outcome.Matched;
        campaign.Queued = outcome.Queued;
        campaign.Deferred = outcome.Deferred;
        campaign.SuppressedOptedOut = outcome.Suppressed.OptedOut;
        campaign.SuppressedNoOptIn = outcome.Suppressed.NoOptIn;
        campaign.SuppressedCapped = outcome.Suppressed.Capped;
        campaign.HeldOut = outcome.HeldOut;
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        db.ChangeTracker.Clear();
        if (outcome.Queued > 0) outboxTrigger.NudgeWritten();
        return outcome;
    }

    private async Task<Dictionary<int, string>> ProductNamesAsync(IEnumerable<Contact> contacts, CancellationToken ct)
    {
        var productIds = contacts.Where(c => c.MostDesiredProductId != null).Select(c => c.MostDesiredProductId!.Value).Distinct().ToList();
        return await db.Products.AsNoTracking().Where(p => productIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Name, ct);
    }

    public static string Render(string template, string? name, string? product, string link) =>
        NudgeOutbox.Render(template, new Dictionary<string, string>
        {
            ["name"] = ContactNames.ForMessage(name) ?? ContactNames.NoName,
            ["product"] = product ?? "our latest picks",
            ["link"] = link,
        });

    public async Task<IReadOnlyList<CampaignListItem>> ListAsync(int take, CancellationToken ct)
    {
        var campaigns = await db.Set<Campaign>().AsNoTracking().OrderByDescending(c => c.Id).Take(take)
            .Select(c => new { c.Id, c.Name, c.CreatedAt, c.CreatedBy, c.State, c.ScheduledFor, c.StartedAt }).ToListAsync(ct);
        var ids = campaigns.Select(c => (int?)c.Id).ToList();
        var counts = await db.Set<Nudge>().AsNoTracking().Where(n => ids.Contains(n.CampaignId))
            .GroupBy(n => new { n.CampaignId, n.Status })
            .Select(g => new { g.Key.CampaignId, g.Key.Status, Count = g.Count(), Clicked = g.Count(n => n.ClickedAt != null) })
            .ToListAsync(ct);
        var byCampaign = counts.ToLookup(c => c.CampaignId!.Value);
        int Sum(int id, params string[] statuses) => byCampaign[id].Where(c => statuses.Contains(c.Status)).Sum(c => c.Count);
        return campaigns.Select(c => new CampaignListItem(c.Id, c.Name, c.CreatedAt, c.CreatedBy, c.State, c.ScheduledFor, c.StartedAt,
            Matched: byCampaign[c.Id].Sum(x => x.Count),
            HeldBack: Sum(c.Id, NudgeStatuses.Suppressed, NudgeStatuses.Cancelled),
            Waiting: Sum(c.Id, NudgeStatuses.Queued, NudgeStatuses.Deferred, NudgeStatuses.Sending, NudgeStatuses.Failed),
            Sent: Sum(c.Id, NudgeStatuses.Sent),
            Failed: Sum(c.Id, NudgeStatuses.Dead),
            Clicked: byCampaign[c.Id].Where(x => x.Status == NudgeStatuses.Sent).Sum(x => x.Clicked),
            HeldOut: Sum(c.Id, NudgeStatuses.HeldOut))).ToList();
    }

    /// <summary>The campaign and its messages: all of them without <paramref name="query"/>, else one filtered page.</summary>
    public async Task<CampaignLog?> LogAsync(int campaignId, CampaignLogQuery? query, CancellationToken ct)
    {
        var campaign = await db.Set<Campaign>().AsNoTracking().FirstOrDefaultAsync(c => c.Id == campaignId, ct);
        if (campaign is null) return null;
        var messages = db.Set<Nudge>().AsNoTracking().Where(n => n.CampaignId == campaignId);
        if (NudgeStatusNames.Filter(query?.Status) is { } filter) messages = messages.Where(filter.Condition);
        var total = await messages.CountAsync(ct);
        var ordered = messages.OrderBy(n => n.Id);
        var page = query is null ? ordered : ordered.Skip((Math.Max(1, query.Page) - 1) * query.PageSize).Take(query.PageSize);
        var rows = await page
            .Select(n => new { n.Id, n.ContactId, n.Contact.Phone, n.Contact.Name, n.Reason, n.SendAfter, Funnel = NudgeFunnel.Of(n) })
            .ToListAsync(ct);
        var entries = rows.Select(r => new CampaignLogEntry(r.Id, r.ContactId, r.Phone, r.Name, r.Funnel.Stage, NudgeStatusNames.Describe(r.Funnel.Stage, r.Reason),
            r.Reason, r.Funnel.QueuedAt, r.SendAfter, r.Funnel.SentAt, r.Funnel.DeliveredAt, r.Funnel.ReadAt, r.Funnel.ClickedAt,
            r.Funnel.ConvertedAt, r.Funnel)).ToList();
        var outcome = new CampaignOutcome(campaign.Id, campaign.Matched, campaign.Queued, campaign.Deferred,
            new SuppressedCounts(campaign.SuppressedOptedOut, campaign.SuppressedCapped, campaign.SuppressedNoOptIn), 0, campaign.HeldOut);
        return new CampaignLog(campaign.Id, campaign.Name, campaign.Message, campaign.CreatedAt, campaign.CreatedBy, outcome, entries,
            campaign.State, campaign.ScheduledFor, campaign.StartedAt, total, query?.Page ?? 1, query?.PageSize ?? total);
    }

    private IQueryable<Contact> Matching(CampaignSegment segment, RuleSettings settings, DateTime now)
    {
        var query = db.Contacts.AsNoTracking();
        if (segment.Vip is { } vip) query = query.Where(c => c.VipStatus == vip);
        if (segment.MinScore is { } min && min > 0)
        {
            var threshold = ContactRanking.RankThreshold(min, now, settings.Scoring.HalfLife);
            query = query.Where(c => c.InterestRank >= threshold);
        }
        if (segment.Tag is { } tag)
        {
            var slug = tag.Trim();
            var tagIds = db.Tags.Where(t => t.Slug == slug).Select(t => t.Id);
            query = query.Where(c => db.Set<InterestScore>().Any(s => s.ContactId == c.Id && s.Dimension == InterestDimension.Tag && tagIds.Contains(s.TargetId) && s.Score > 0));
        }
        if (segment.AbandonedCart is { } abandoned)
        {
            var idleSince = now - TimeSpan.FromMinutes(settings.CartRescue.IdleMinutes);
            query = query.Where(c => db.Carts.Any(cart => cart.UpdatedAt <= idleSince && cart.Lines.Any()
                && db.Visitors.Any(v => v.Id == cart.VisitorId && v.ContactId == c.Id)) == abandoned);
        }
        if (segment.SeenWithinDays is { } days)
        {
            var since = now.AddDays(-days);
            query = query.Where(c => c.LastSeenAt >= since);
        }
        return query;
    }

    private Task<List<Contact>> MatchingAsync(CampaignSegment segment, RuleSettings settings, DateTime now, CancellationToken ct) =>
        Matching(segment, settings, now).OrderBy(c => c.Id).ToListAsync(ct);

    private static string StatusFor(GuardVerdict verdict, string? reason) => verdict switch
    {
        GuardVerdict.Send => NudgeStatuses.Queued,
        GuardVerdict.Defer when reason == GuardReasons.Capped => NudgeStatuses.Suppressed,
        GuardVerdict.Defer => NudgeStatuses.Deferred,
        _ => NudgeStatuses.Suppressed,
    };

    private sealed class Tally
    {
        private int _queued, _deferred, _optedOut, _noOptIn, _capped, _heldOut;

        public void Count(string status, string? reason)
        {
            switch (status)
            {
                case NudgeStatuses.Queued: _queued++; break;
                case NudgeStatuses.HeldOut: _heldOut++; break;
                case NudgeStatuses.Deferred: _deferred++; break;
                case NudgeStatuses.Suppressed when reason == GuardReasons.OptedOut: _optedOut++; break;
                case NudgeStatuses.Suppressed when reason == GuardReasons.NoOptIn: _noOptIn++; break;
                case NudgeStatuses.Suppressed: _capped++; break;
            }
        }

        public CampaignOutcome Outcome(int? id, int matched, int all) =>
            new(id, matched, _queued + _deferred, _deferred, new SuppressedCounts(_optedOut, _capped, _noOptIn), all, _heldOut);
    }
}
