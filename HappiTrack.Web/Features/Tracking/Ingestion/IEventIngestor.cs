using HappiTrack.Web.Features.Shared;

namespace HappiTrack.Web.Features.Tracking.Ingestion;

/// <summary>The events of one accepted request, stamped with the server's time and the site they happened on.</summary>
public sealed record EventBatch(string VisitorId, DateTime ReceivedAt, IReadOnlyList<IngestEvent> Events, int SiteId = SiteIds.Trusty);

public enum IngestOutcome
{
    /// <summary>Committed to the database.</summary>
    Stored,
    /// <summary>The writer's queue is full; nothing was stored, the client may retry later.</summary>
    Busy,
    /// <summary>The commit failed or timed out; the client may retry later.</summary>
    Failed,
}

/// <summary>Takes a request's events and answers only once they are durably stored (or not).</summary>
public interface IEventIngestor
{
    Task<IngestOutcome> IngestAsync(EventBatch batch, CancellationToken ct);
}
