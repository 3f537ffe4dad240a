using HappiTrack.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Tracking.Ingestion;

/// <summary>
/// The baseline the benchmark compares against (<c>Tracking:Writer=Naive</c>): each request loads
/// its visitor and saves its events with its own SaveChanges, so every request pays for a commit.
/// </summary>
internal sealed class NaiveEventWriter(IServiceScopeFactory scopes, ILogger<NaiveEventWriter> logger) : IEventIngestor
{
    public async Task<IngestOutcome> IngestAsync(EventBatch batch, CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var visitor = await db.Visitors.FirstOrDefaultAsync(v => v.Id == batch.VisitorId, CancellationToken.None);
            if (visitor is null)
            {
                visitor = new Visitor { Id = batch.VisitorId, FirstSeenAt = batch.ReceivedAt, LastSeenAt = batch.ReceivedAt };
                db.Visitors.Add(visitor);
            }
            else if (batch.ReceivedAt > visitor.LastSeenAt)
            {
                visitor.LastSeenAt = batch.ReceivedAt;
            }

            // Re-sent events (same visitor and client id) are skipped; two such requests racing each other
            // meet the unique index instead, and the loser answers 503 so its client re-sends once more.
            var ids = batch.Events.Where(e => e.ClientId is not null).Select(e => e.ClientId!).ToList();
            var known = ids.Count == 0 ? [] : (await db.Events
                .Where(e => e.VisitorId == batch.VisitorId && e.ClientEventId != null && ids.Contains(e.ClientEventId))
                .Select(e => e.ClientEventId!).ToListAsync(CancellationToken.None)).ToHashSet(StringComparer.Ordinal);

            db.Events.AddRange(batch.Events.Where(e => e.ClientId is null || known.Add(e.ClientId)).Select(e => new TrackEvent
            {
                Type = e.Type,
                VisitorId = batch.VisitorId,
                ContactId = visitor.ContactId,
                ProductId = e.ProductId,
                Source = EventSource.Client,
                OccurredAt = batch.ReceivedAt,
                ClientTime = e.ClientTime,
                Path = e.Path,
                Data = e.Data,
                ClientEventId = e.ClientId,
            }));
            await db.SaveChangesAsync(CancellationToken.None);
            return IngestOutcome.Stored;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not save {Events} tracking events", batch.Events.Count);
            return IngestOutcome.Failed;
        }
    }
}
