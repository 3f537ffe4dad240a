using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Tracking.Ingestion;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Tracking;

/// <summary>
/// Ties this browser's visitor to a contact once a link proves who it belongs to: a contact's
/// tracked link (<c>?ht=</c>) or a nudge's <c>/r/{code}</c>. Both go through here so they link the
/// same way: the store's atomic upsert (two tabs opening the link at once cannot both insert the
/// visitor) and the same back-fill of the visitor's anonymous events and orders.
/// </summary>
public sealed class VisitorLinker(AppDbContext db, IEventStore store)
{
    /// <summary>One transaction, so the visitor is never linked with only part of its history merged.</summary>
    public async Task LinkAsync(string visitorId, int contactId, DateTime now, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await store.LinkVisitorAsync(db, visitorId, contactId, now, ct);
        await db.Events.Where(e => e.VisitorId == visitorId && e.ContactId == null)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.ContactId, contactId), ct);
        await db.Orders.Where(o => o.VisitorId == visitorId && o.ContactId == null)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.ContactId, contactId), ct);
        await db.Contacts.Where(c => c.Id == contactId)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastSeenAt, now), ct);
        await transaction.CommitAsync(ct);
    }
}
