using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Privacy;

public sealed record BrowsingErasure(int Events, int Scores);

/// <summary>
/// "Delete my browsing data" on the privacy page: the raw events of this browser's visitor (its <c>ht_vid</c>)
/// and the interest scores kept for it while anonymous. What stays, and why:
/// <list type="bullet">
/// <item>the open cart: it is the shopper's own and they can empty it themselves;</item>
/// <item>a linked contact and its scores: those belong to the person across all their browsers and are erased
/// by the shop on request (<see cref="ContactEraser"/>); this browser's events are gone from them all the same;</item>
/// <item>the analytics roll-ups of past days: already aggregated, they hold counts, not this browser's history.</item>
/// </list>
/// Only the cookie's owner can ask: the id comes from the request's own cookie, never from a form field.
/// </summary>
public sealed class BrowsingDataEraser(AppDbContext db, IAuditLog audit)
{
    public async Task<BrowsingErasure> EraseAsync(string visitorId, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginWriteTransactionAsync(ct);
        var events = await db.Events.Where(e => e.VisitorId == visitorId).ExecuteDeleteAsync(ct);
        // A linked visitor's scores were merged into the contact's rows on link; only the anonymous subject is this browser's alone.
        var subject = Subject.Visitor(visitorId);
        var scores = await db.Set<InterestScore>().Where(s => s.SubjectKey == subject).ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);
        await audit.RecordShopperAsync(AuditActions.BrowsingDataErase, new { events, scores }, ct);
        return new BrowsingErasure(events, scores);
    }
}
