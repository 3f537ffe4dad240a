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

public sealed record CampaignDraft(string? Name, string? Message, CampaignSegment? Segment);

public sealed record SuppressedCounts(int OptedOut, int Capped, int NoOptIn);

/// <summary>What a broadcast did (or, for a preview, would do). <see cref="Deferred"/> wait for quiet hours to end and are counted in <see cref="Queued"/>.</summary>
public sealed record CampaignOutcome(int? CampaignId, int Matched, int Queued, int Deferred, SuppressedCounts Suppressed, int AllContacts);

/// <summary>One campaign message: <see cref="Status"/> is the furthest stage of its <see cref="Funnel"/>.</summary>
public sealed record CampaignLogEntry(
    int NudgeId, int ContactId, string Phone, string? Name, string Status, string? Reason,
    DateTime CreatedAt, DateTime SendAfter, DateTime? SentAt, DateTime? DeliveredAt, DateTime? ReadAt,
    DateTime? ClickedAt, DateTime? ConvertedAt, NudgeFunnel Funnel);

public sealed record CampaignLog(int CampaignId, string Name, string Message, DateTime CreatedAt, string? CreatedBy,
    CampaignOutcome Outcome, IReadOnlyList<CampaignLogEntry> Messages);

public sealed record CampaignListItem(int Id, string Name, DateTime CreatedAt, string? CreatedBy, int Matched, int Queued, int Sent, int Clicked);

/// <summary>
/// Segments, previews and sends campaigns. Each recipient gets one <c>campaign</c> nudge written by
/// the brain's <see cref="NudgeOutbox"/> (so the same guards decide), in one transaction with the
/// <see cref="Campaign"/> row; the de-duplication key is per campaign and contact. A campaign is a
/// broadcast, not an offer that must reach someone: a contact the per-contact cap would hold back is
/// suppressed rather than queued behind other messages, so nobody gets yesterday's campaign tomorrow.
/// Quiet hours only defer it.
/// </summary>
public sealed class CampaignService(AppDbContext db, NudgeOutbox outbox, RuleSettingsService settingsService, ShopContext shop, IOutboxTrigger outboxTrigger, TimeProvider clock, IAuditLog audit)
{
    public const int MaxNameLength = 100;
    public const int MaxMessageLength = 1000;
    public const int MaxSeenWithinDays = 3650;
    /// <summary>A campaign deferred by quiet hours longer than this is stale and is suppressed at dispatch.</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromHours(24);
    public const string CappedReason = "cap";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Field-named messages (<c>name</c>, <c>message</c>, <c>segment.tag</c>...); empty when valid.</summary>
    public async Task<Dictionary<string, string[]>> ValidateAsync(CampaignDraft draft, bool requireContent, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (requireContent)
        {
            if (string.IsNullOrWhiteSpace(draft.Name)) errors["name"] = ["Give the campaign a name."];
            else if (draft.Name.Length > MaxNameLength || draft.Name.Any(char.IsControl)) errors["name"] = [$"The name must be text of at most {MaxNameLength} characters."];
            if (string.IsNullOrWhiteSpace(draft.Message)) errors["message"] = ["Write the message to send."];
            else if (draft.Message.Length > MaxMessageLength) errors["message"] = [$"Keep the message under {MaxMessageLength} characters."];
        }
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

    /// <summary>How many contacts match and what the guards would do to each, without writing anything.</summary>
    public async Task<CampaignOutcome> PreviewAsync(CampaignSegment segment, CancellationToken ct)
    {
        var settings = await settingsService.GetAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
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
        foreach (var contact in matched)
        {
            var recent = byContact.GetValueOrDefault(contact.Id) ?? [];
            var decision = NudgeGuards.Decide(new GuardInput(contact.OptedIn, contact.OptedOut, recent, now + Validity), now, settings.Guards, shop.TimeZone);
            tally.Count(StatusFor(decision.Verdict, decision.Reason), decision.Reason);
        }
        return tally.Outcome(null, matched.Count, await db.Contacts.CountAsync(ct));
    }

    /// <summary>Writes the campaign and one nudge per matching contact in one transaction.</summary>
    public async Task<CampaignOutcome> SendAsync(string name, string message, CampaignSegment segment, string? createdBy, CancellationToken ct)
    {
        var settings = await settingsService.GetAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var campaign = new Campaign
        {
            Name = name.Trim(),
            Message = message,
            SegmentJson = JsonSerializer.Serialize(segment, Json),
            CreatedAt = now,
            CreatedBy = createdBy,
        };
        db.Add(campaign);
        await db.SaveChangesAsync(ct);

        var matched = await MatchingAsync(segment, settings, now, ct);
        var productIds = matched.Where(c => c.MostDesiredProductId != null).Select(c => c.MostDesiredProductId!.Value).Distinct().ToList();
        var productNames = await db.Products.AsNoTracking().Where(p => productIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Name, ct);
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
                }));
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
        campaign.Matched = outcome.Matched;
        campaign.Queued = outcome.Queued;
        campaign.Deferred = outcome.Deferred;
        campaign.SuppressedOptedOut = outcome.Suppressed.OptedOut;
        campaign.SuppressedNoOptIn = outcome.Suppressed.NoOptIn;
        campaign.SuppressedCapped = outcome.Suppressed.Capped;
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        db.ChangeTracker.Clear();
        if (outcome.Queued > 0) outboxTrigger.NudgeWritten();
        await audit.RecordAsAsync(createdBy ?? "(unknown)", AuditActions.CampaignSend, $"campaign:{campaign.Id}",
            new { name, segment, outcome.Matched, outcome.Queued, outcome.Deferred, outcome.Suppressed }, ct);
        return outcome;
    }

    public static string Render(string template, string? name, string? product, string link) =>
        NudgeOutbox.Render(template, new Dictionary<string, string>
        {
            ["name"] = ContactNames.ForMessage(name) ?? ContactNames.NoName,
            ["product"] = product ?? "our latest picks",
            ["link"] = link,
        });

    public async Task<IReadOnlyList<CampaignListItem>> ListAsync(int take, CancellationToken ct) =>
        await db.Set<Campaign>().AsNoTracking().OrderByDescending(c => c.Id).Take(take)
            .Select(c => new CampaignListItem(c.Id, c.Name, c.CreatedAt, c.CreatedBy, c.Matched, c.Queued,
                db.Set<Nudge>().Count(n => n.CampaignId == c.Id && n.SentAt != null),
                db.Set<Nudge>().Count(n => n.CampaignId == c.Id && n.ClickedAt != null)))
            .ToListAsync(ct);

    public async Task<CampaignLog?> LogAsync(int campaignId, CancellationToken ct)
    {
        var campaign = await db.Set<Campaign>().AsNoTracking().FirstOrDefaultAsync(c => c.Id == campaignId, ct);
        if (campaign is null) return null;
        var rows = await db.Set<Nudge>().AsNoTracking().Where(n => n.CampaignId == campaignId).OrderBy(n => n.Id)
            .Select(n => new { n.Id, n.ContactId, n.Contact.Phone, n.Contact.Name, n.Reason, n.SendAfter, Funnel = NudgeFunnel.Of(n) })
            .ToListAsync(ct);
        var entries = rows.Select(r => new CampaignLogEntry(r.Id, r.ContactId, r.Phone, r.Name, r.Funnel.Stage, r.Reason,
            r.Funnel.QueuedAt, r.SendAfter, r.Funnel.SentAt, r.Funnel.DeliveredAt, r.Funnel.ReadAt, r.Funnel.ClickedAt,
            r.Funnel.ConvertedAt, r.Funnel)).ToList();
        var outcome = new CampaignOutcome(campaign.Id, campaign.Matched, campaign.Queued, campaign.Deferred,
            new SuppressedCounts(campaign.SuppressedOptedOut, campaign.SuppressedCapped, campaign.SuppressedNoOptIn), 0);
        return new CampaignLog(campaign.Id, campaign.Name, campaign.Message, campaign.CreatedAt, campaign.CreatedBy, outcome, entries);
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
        private int _queued, _deferred, _optedOut, _noOptIn, _capped;

        public void Count(string status, string? reason)
        {
            switch (status)
            {
                case NudgeStatuses.Queued: _queued++; break;
                case NudgeStatuses.Deferred: _deferred++; break;
                case NudgeStatuses.Suppressed when reason == GuardReasons.OptedOut: _optedOut++; break;
                case NudgeStatuses.Suppressed when reason == GuardReasons.NoOptIn: _noOptIn++; break;
                case NudgeStatuses.Suppressed: _capped++; break;
            }
        }

        public CampaignOutcome Outcome(int? id, int matched, int all) =>
            new(id, matched, _queued + _deferred, _deferred, new SuppressedCounts(_optedOut, _capped, _noOptIn), all);
    }
}
