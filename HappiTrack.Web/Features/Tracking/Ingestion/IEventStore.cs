using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Shared;

namespace HappiTrack.Web.Features.Tracking.Ingestion;

/// <summary>
/// The tracking writes that need provider-specific SQL (multi-row inserts, upserts with RETURNING).
/// One implementation per database provider: <see cref="SqliteEventStore"/> and <see cref="PostgresEventStore"/>,
/// chosen by <c>Database:Provider</c>.
/// </summary>
public interface IEventStore
{
    /// <summary>
    /// In one transaction: upserts each batch's visitor (LastSeenAt; a new visitor gets the batch's site), stores the events with the
    /// visitor's contact and the batch's site (skipping events whose visitor and client id are already stored), and touches
    /// the linked contacts' LastSeenAt.
    /// </summary>
    Task WriteAsync(AppDbContext db, IReadOnlyList<EventBatch> batches, CancellationToken ct);

    /// <summary>Creates or updates the visitor row as linked to <paramref name="contactId"/>, inside the caller's transaction.</summary>
    Task LinkVisitorAsync(AppDbContext db, string visitorId, int contactId, DateTime now, CancellationToken ct, int siteId = SiteIds.Trusty);

    /// <summary>
    /// Creates the visitor row or moves its LastSeenAt forward in one statement (inside the caller's
    /// transaction, if any), so it cannot collide with the tracker's writer inserting the same visitor.
    /// Returns the visitor's contact.
    /// </summary>
    Task<int?> TouchVisitorAsync(AppDbContext db, string visitorId, DateTime now, CancellationToken ct);
}
