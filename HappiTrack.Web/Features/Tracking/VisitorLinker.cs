using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Tracking.Ingestion;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Tracking;

/// <summary>What proves that this browser belongs to the contact.</summary>
public enum LinkProof
{
    /// <summary>The contact's tracked link <c>?ht=</c>: anyone who has it (or puts it on a page) can make a browser open it.</summary>
    TrackedLink,
    /// <summary>A nudge's <c>/r/{code}</c>: a fresh link from a message sent to that contact.</summary>
    NudgeLink,
}

/// <summary>
/// Ties this browser's visitor to a contact once a link says who it belongs to: a contact's tracked
/// link (<c>?ht=</c>) or a nudge's <c>/r/{code}</c>. Both go through here, under one rule (SECURITY.md
/// "Identity linking rule"): a link can be opened by someone other than the contact (it is put on a page,
/// forwarded, shared), so it never hands what a browser already has to the link's contact.
/// <list type="bullet">
/// <item>A fresh browser (no events, no cart, no orders, no contact) is linked.</item>
/// <item>A browser already linked to the same contact stays linked.</item>
/// <item>An anonymous browser with history, a cart or orders is not merged: it gets a new visitor id
/// (a new cookie) that is linked, and the old visitor keeps its history, cart and orders, anonymous.</item>
/// <item>A browser linked to another contact is not re-linked by a tracked link (the link changes
/// nothing); a nudge link starts a new visitor for the nudge's contact, as for history.</item>
/// </list>
/// </summary>
public sealed class VisitorLinker(AppDbContext db, IEventStore store)
{
    /// <summary>
    /// Applies the rule for this request's browser and returns the visitor id now linked to
    /// <paramref name="contactId"/>, or null when the browser is left as it was.
    /// </summary>
    public Task<string?> LinkBrowserAsync(HttpContext http, int contactId, LinkProof proof, DateTime now, CancellationToken ct) =>
        LinkAsync(http.FindVisitorId(), http.IssueNewVisitorId, SiteIds.Trusty, contactId, proof, now, ct);

    /// <summary>
    /// The same rule for a site's embedded tracker, where the visitor id lives in the shop's own storage and
    /// comes with the request: a new id is made (not issued as a cookie) and returned for the tracker to keep.
    /// </summary>
    public Task<string?> LinkSiteVisitorAsync(string? visitorId, int siteId, int contactId, DateTime now, CancellationToken ct) =>
        LinkAsync(visitorId, VisitorCookie.NewId, siteId, contactId, LinkProof.TrackedLink, now, ct);

    private async Task<string?> LinkAsync(string? visitorId, Func<string> newVisitorId, int siteId, int contactId, LinkProof proof,
        DateTime now, CancellationToken ct)
    {
        if (visitorId is null)
        {
            visitorId = newVisitorId();
            await LinkFreshAsync(visitorId, siteId, contactId, now, ct);
            return visitorId;
        }

        var linkedTo = await db.Visitors.Where(v => v.Id == visitorId).Select(v => v.ContactId).FirstOrDefaultAsync(ct);
        if (linkedTo == contactId)
        {
            await LinkFreshAsync(visitorId, siteId, contactId, now, ct); // refreshes LinkedAt and the contact's LastSeenAt
            return visitorId;
        }
        if (linkedTo is not null && proof == LinkProof.TrackedLink) return null;
        if (linkedTo is null && !await HasStateAsync(visitorId, ct))
        {
            await LinkFreshAsync(visitorId, siteId, contactId, now, ct);
            return visitorId;
        }

        var fresh = newVisitorId();
        await LinkFreshAsync(fresh, siteId, contactId, now, ct);
        return fresh;
    }

    /// <summary>Anything a person did in this browser: events, a cart, an order.</summary>
    private async Task<bool> HasStateAsync(string visitorId, CancellationToken ct) =>
        await db.Events.AnyAsync(e => e.VisitorId == visitorId, ct)
        || await db.Carts.AnyAsync(c => c.VisitorId == visitorId, ct)
        || await db.Orders.AnyAsync(o => o.VisitorId == visitorId, ct);

    /// <summary>
    /// One transaction, with the store's atomic upsert (two tabs opening the link at once cannot both
    /// insert the visitor). The back-fill only finds rows written between the check above and this
    /// statement (a tracker batch racing the link), which belong to the same request's browser.
    /// </summary>
    private async Task LinkFreshAsync(string visitorId, int siteId, int contactId, DateTime now, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginWriteTransactionAsync(ct);
        await store.LinkVisitorAsync(db, visitorId, contactId, now, ct, siteId);
        await db.Contacts.Where(c => c.Id == contactId)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastSeenAt, now), ct);
        await transaction.CommitAsync(ct);
    }
}
