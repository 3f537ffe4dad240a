using System.Threading.Channels;
using HappiTrack.Web.Data;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Tracking.Ingestion;

/// <summary>
/// Group commit: every request hands its events to one bounded queue; a single writer drains what
/// has accumulated, commits it in one transaction, then releases each waiting request. A full queue
/// is answered at once (503) rather than by making requests wait for room.
/// </summary>
internal sealed class BatchedEventWriter(
    IServiceScopeFactory scopes,
    IEventStore store,
    IOptions<TrackingOptions> options,
    ILogger<BatchedEventWriter> logger) : BackgroundService, IEventIngestor
{
    private readonly Channel<PendingWrite> _queue = Channel.CreateBounded<PendingWrite>(
        new BoundedChannelOptions(Math.Max(1, options.Value.QueueCapacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

    /// <summary>Requests waiting for the writer (not counting the group being committed).</summary>
    public int QueuedRequests => _queue.Reader.Count;

    public async Task<IngestOutcome> IngestAsync(EventBatch batch, CancellationToken ct)
    {
        var pending = new PendingWrite(batch);
        if (!_queue.Writer.TryWrite(pending)) return IngestOutcome.Busy;
        try
        {
            // The request's own cancellation is not passed on: once queued, the events are written anyway.
            return await pending.Completion.Task.WaitAsync(options.Value.AcknowledgeTimeout, CancellationToken.None);
        }
        catch (TimeoutException)
        {
            return IngestOutcome.Failed;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _queue.Reader;
        var maxEvents = Math.Max(1, options.Value.MaxBatchEvents);
        var group = new List<PendingWrite>();
        var batches = new List<EventBatch>();

        // Not cancelled by stoppingToken: StopAsync completes the queue, and whatever is queued is still committed.
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            group.Clear();
            batches.Clear();
            var events = 0;
            while (events < maxEvents && reader.TryRead(out var pending))
            {
                group.Add(pending);
                batches.Add(pending.Batch);
                events += pending.Batch.Events.Count;
            }

            var outcome = await CommitAsync(batches, events);
            foreach (var pending in group) pending.Completion.TrySetResult(outcome);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private async Task<IngestOutcome> CommitAsync(List<EventBatch> batches, int events)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await store.WriteAsync(db, batches, CancellationToken.None);
            return IngestOutcome.Stored;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not commit {Events} tracking events from {Requests} requests", events, batches.Count);
            return IngestOutcome.Failed;
        }
    }

    private sealed class PendingWrite(EventBatch batch)
    {
        public EventBatch Batch { get; } = batch;
        public TaskCompletionSource<IngestOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
