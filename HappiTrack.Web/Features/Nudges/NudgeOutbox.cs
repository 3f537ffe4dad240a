using System.Buffers.Text;
using System.Security.Cryptography;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Nudges;

/// <summary>What a rule wants to say; built only once the guards allow an offer.</summary>
public sealed record NudgeContent(string Message, int? TokenId = null, string? TokenValue = null)
{
    /// <summary>A token added in the same unit of work; its id is assigned on save, so the nudge links to the entity.</summary>
    public Tokens.DiscountToken? Token { get; init; }
}

public sealed record NudgeRequest(
    string Kind,
    string DedupKey,
    DateTime? ExpiresAt,
    /// <summary>Given the tracked link and whether to make a real offer (false when suppressed, so no token is issued).</summary>
    Func<string, bool, NudgeContent> Compose,
    Action<Nudge>? Configure = null,
    /// <summary>A campaign's holdout; a rule's comes from the settings document by <see cref="Kind"/>.</summary>
    HoldoutGroup? Holdout = null);

/// <summary>
/// Writes nudges into the outbox through the caller's DbContext, so the row commits with the
/// caller's change. The guards decide at write time whether it is queued, deferred or suppressed.
/// Callers poke <see cref="IOutboxTrigger"/> after their commit, so the dispatcher never races it.
/// </summary>
public sealed class NudgeOutbox(ShopContext shop, IOptions<ConsentOptions> consent, HoldoutKeys holdoutKeys, IOptions<MarketingOptions> marketing)
{
    /// <summary>The new nudge, or null when one with the same de-duplication key already exists.</summary>
    public async Task<Nudge?> WriteAsync(AppDbContext db, Contact contact, NudgeRequest request, RuleSettings settings, DateTime now, CancellationToken ct = default)
    {
        if (db.Set<Nudge>().Local.Any(n => n.DedupKey == request.DedupKey)
            || await db.Set<Nudge>().AnyAsync(n => n.DedupKey == request.DedupKey, ct))
            return null;

        var recent = await RecentSendsAsync(db, contact.Id, excludeNudgeId: null, includePending: true, now, settings.Guards, ct);
        return Add(db, contact, request, recent, settings, await holdoutKeys.GetAsync(db, ct), now);
    }

    /// <summary>
    /// <see cref="WriteAsync"/> for many contacts at once (a campaign): the same guards decide each
    /// nudge, but the de-duplication keys and the recent sends are read in a few queries for all of
    /// them instead of three per contact, so the write transaction stays short however large the
    /// segment. Null entries are duplicates. Each contact appears at most once.
    /// </summary>
    public async Task<IReadOnlyList<Nudge?>> WriteManyAsync(
        AppDbContext db, IReadOnlyList<(Contact Contact, NudgeRequest Request)> items, RuleSettings settings, DateTime now, CancellationToken ct = default)
    {
        var keys = items.Select(i => i.Request.DedupKey).ToList();
        var existing = (await db.Set<Nudge>().AsNoTracking().Where(n => keys.Contains(n.DedupKey)).Select(n => n.DedupKey).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        var contactIds = items.Select(i => i.Contact.Id).Distinct().ToList();
        var since = now - TimeSpan.FromHours(settings.Guards.WindowHours);
        var sent = await db.Set<Nudge>().AsNoTracking()
            .Where(n => contactIds.Contains(n.ContactId) && n.SentAt != null && n.SentAt > since && n.Kind != NudgeKinds.OptInConfirmation)
            .Select(n => new { n.ContactId, When = n.SentAt!.Value }).ToListAsync(ct);
        var pendingStatuses = NudgeStatuses.PendingOrSending;
        var pending = await db.Set<Nudge>().AsNoTracking()
            .Where(n => contactIds.Contains(n.ContactId) && pendingStatuses.Contains(n.Status) && n.Kind != NudgeKinds.OptInConfirmation)
            .Select(n => new { n.ContactId, When = n.SendAfter }).ToListAsync(ct);
        var local = db.Set<Nudge>().Local.Where(n => n.Id == 0 && pendingStatuses.Contains(n.Status) && n.Kind != NudgeKinds.OptInConfirmation).Select(n => new { n.ContactId, When = n.SendAfter });
        var recentByContact = sent.Concat(pending).Concat(local).ToLookup(r => r.ContactId, r => r.When);
        existing.UnionWith(db.Set<Nudge>().Local.Select(n => n.DedupKey));

        var key = await holdoutKeys.GetAsync(db, ct);
        var written = new List<Nudge?>(items.Count);
        foreach (var (contact, request) in items)
            written.Add(existing.Add(request.DedupKey) ? Add(db, contact, request, [.. recentByContact[contact.Id]], settings, key, now) : null);
        return written;
    }

    private Nudge Add(AppDbContext db, Contact contact, NudgeRequest request, IReadOnlyList<DateTime> recent, RuleSettings settings, byte[] holdoutKey, DateTime now)
    {
        var optedIn = NudgeGuards.ConsentAllows(contact, request.Kind, now, consent.Value.PendingFor);
        var decision = NudgeGuards.Decide(new GuardInput(optedIn, contact.OptedOut, recent, request.ExpiresAt), now, settings.Guards, shop.TimeZone);
        var heldOut = HoldoutFor(contact, request, decision, settings, holdoutKey, now);
        var code = NewCode();
        var link = shop.NudgeLink(code);
        // A held-out contact gets no offer, so no token is issued for a message that is never sent.
        var content = request.Compose(link, decision.Verdict != GuardVerdict.Suppress && heldOut is null);
        var nudge = new Nudge
        {
            ContactId = contact.Id,
            Kind = request.Kind,
            DedupKey = request.DedupKey,
            Code = code,
            Link = link,
            Message = content.Message,
            TokenId = content.TokenId,
            Token = content.Token,
            TokenValue = content.TokenValue,
            CreatedAt = now,
            ExpiresAt = request.ExpiresAt,
        };
        nudge.Admit(decision, now);
        if (heldOut is not null) nudge.HoldOut(heldOut);
        request.Configure?.Invoke(nudge);
        db.Add(nudge);
        return nudge;
    }

    /// <summary>
    /// The holdout reason when the contact is in a control arm, else null. Only a contact the guards would message
    /// (now or later) can be held out, so both arms hold the same kind of contact; consent and, for a campaign, the
    /// cap decide before the coin is tossed. The transactional opt-in confirmation is never held out.
    /// </summary>
    private string? HoldoutFor(Contact contact, NudgeRequest request, GuardDecision decision, RuleSettings settings, byte[] key, DateTime now)
    {
        if (request.Kind == NudgeKinds.OptInConfirmation || decision.Verdict == GuardVerdict.Suppress) return null;
        var global = marketing.Value.GlobalControlPercent;
        if (global > 0 && Holdouts.IsHeldOut(key, contact.Id, Holdouts.GlobalSubject, Holdouts.GlobalPeriod, global)) return HoldoutReasons.GlobalControl;
        var group = request.Holdout ?? HoldoutGroup.ForRule(request.Kind, settings);
        if (group is null || group.Percent <= 0) return null;
        if (group.SuppressWhenCapped && decision.Verdict == GuardVerdict.Defer && decision.Reason == GuardReasons.Capped) return null;
        return Holdouts.IsHeldOut(key, contact.Id, group.Subject, Holdouts.Period(now), group.Percent) ? HoldoutReasons.Holdout : null;
    }

    /// <summary>
    /// When the contact's other marketing nudges went or will go out (the transactional double opt-in
    /// confirmation is not marketing and never counts). At write time pending ones
    /// count (so a second nudge is deferred behind the first); at dispatch only sent or in-flight
    /// ones do, so two queued nudges can never block each other.
    /// </summary>
    public static async Task<IReadOnlyList<DateTime>> RecentSendsAsync(
        AppDbContext db, int contactId, int? excludeNudgeId, bool includePending, DateTime now, GuardSettings guards, CancellationToken ct)
    {
        var since = now - TimeSpan.FromHours(guards.WindowHours);
        var sent = await db.Set<Nudge>().AsNoTracking()
            .Where(n => n.ContactId == contactId && n.Id != excludeNudgeId && n.SentAt != null && n.SentAt > since && n.Kind != NudgeKinds.OptInConfirmation)
            .Select(n => n.SentAt!.Value).ToListAsync(ct);
        var pendingStatuses = includePending ? NudgeStatuses.PendingOrSending : [NudgeStatuses.Sending];
        var pending = await db.Set<Nudge>().AsNoTracking()
            .Where(n => n.ContactId == contactId && n.Id != excludeNudgeId && pendingStatuses.Contains(n.Status) && n.Kind != NudgeKinds.OptInConfirmation)
            .Select(n => n.SendAfter).ToListAsync(ct);
        var local = includePending
            ? db.Set<Nudge>().Local.Where(n => n.ContactId == contactId && n.Id == 0 && pendingStatuses.Contains(n.Status) && n.Kind != NudgeKinds.OptInConfirmation).Select(n => n.SendAfter)
            : [];
        return [.. sent, .. pending, .. local];
    }

    /// <summary>
    /// Stop-on-purchase: cancels the cart-rescue nudges not yet sent for this cart. Call it in the
    /// checkout transaction; the dispatcher also re-checks for an order before sending.
    /// </summary>
    public static Task<int> CancelCartRescuesAsync(AppDbContext db, int cartId, CancellationToken ct = default) =>
        db.Set<Nudge>()
            .Where(n => n.CartId == cartId && n.Kind == NudgeKinds.CartRescue)
            .CancelWaitingAsync(NudgeReasons.CheckedOut, ct);

    public static string NewCode() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    public static string Render(string template, IReadOnlyDictionary<string, string> values)
    {
        var text = template;
        foreach (var (key, value) in values) text = text.Replace("{" + key + "}", value, StringComparison.Ordinal);
        return text;
    }
}
