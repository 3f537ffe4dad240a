using System.Diagnostics;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Tracking;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Rules;

/// <summary>How far a projector has read the Events table.</summary>
public sealed class ProjectorCheckpoint
{
    public required string Name { get; set; }
    public long Position { get; set; }
    public DateTime UpdatedAt { get; set; }
}

internal sealed class ProjectorCheckpointConfiguration : IEntityTypeConfiguration<ProjectorCheckpoint>
{
    public void Configure(EntityTypeBuilder<ProjectorCheckpoint> b)
    {
        b.HasKey(c => c.Name);
        b.Property(c => c.Name).HasMaxLength(64);
    }
}

/// <summary>
/// The project-events job's work (<see cref="ProjectEventsJob"/>): the checkpoint and the transaction
/// loop. Reads events after its checkpoint in id order, in bounded batches, has <see cref="InterestScorer"/>
/// apply them to the (tracked, unsaved) interest rows, then in ONE short write transaction per batch
/// claims the batch by advancing the checkpoint, writes the scores (multi-row upserts, <see cref="Upserts"/>), has <see cref="EventRules"/> evaluate
/// what they set off and the CRM list columns refresh. A crash rolls all of it back, so each event is
/// applied exactly once, and scoring stays off the ingestion hot path and outside SQLite's write lock.
/// </summary>
public sealed class EventProjector(
    AppDbContext db,
    RuleSettingsService settingsService,
    InterestScorer scorer,
    EventRules rules,
    ContactSummaryRefresher summaries,
    IOutboxTrigger outboxTrigger,
    TimeProvider clock,
    ILogger<EventProjector> logger)
{
    public const string CheckpointName = ProjectEventsJob.Id;
    /// <summary>
    /// Events per batch and so per write transaction. On SQLite every other writer, the tracker's group
    /// commit first, waits while a batch's transaction runs, so batches there are smaller: the tracker's
    /// p99 follows the longest hold (issue 16). PostgreSQL locks rows, not the database.
    /// </summary>
    public int BatchSize => db.Database.IsSqlite() ? 100 : 500;
    private const int MaxEventsPerRun = 10_000;

    // One projector at a time per process; across instances the conditional checkpoint update decides.
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <returns>Events projected in this run.</returns>
    public async Task<int> RunAsync(CancellationToken ct = default)
    {
        var nudgesWritten = 0;
        await Gate.WaitAsync(ct);
        try
        {
            var total = 0;
            for (var i = 0; i < MaxEventsPerRun / BatchSize; i++)
            {
                var (projected, nudges) = await RunBatchAsync(ct);
                total += projected;
                nudgesWritten += nudges;
                if (projected < BatchSize) break;
            }
            return total;
        }
        finally
        {
            Gate.Release();
            // Nudges of committed batches are waiting even when a later batch failed.
            if (nudgesWritten > 0) outboxTrigger.NudgeWritten();
        }
    }

    private async Task<(int Events, int Nudges)> RunBatchAsync(CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var settings = await settingsService.GetAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;

        // Reading the batch and scoring it happen before the write transaction: on SQLite every writer,
        // the tracker's group commit first, waits while the lock is held, and the scoring was most of
        // that time. The claim below makes the result count only if nobody projected the batch meanwhile.
        var position = await db.Set<ProjectorCheckpoint>().AsNoTracking().Where(c => c.Name == CheckpointName)
            .Select(c => (long?)c.Position).FirstOrDefaultAsync(ct);
        var events = await db.Events.AsNoTracking().Where(e => e.Id > (position ?? 0)).OrderBy(e => e.Id).Take(BatchSize).ToListAsync(ct);
        // Runs without events too: visitors linked since the last batch still have rows to merge.
        var scored = await scorer.ApplyAsync(events, settings.Scoring, settings.InterestDiscount.Threshold, now, ct);

        var started = Stopwatch.GetTimestamp();
        await using var transaction = await db.Database.BeginWriteTransactionAsync(ct);
        var locked = Stopwatch.GetTimestamp();
        if (!await ClaimAsync(position, events, now, ct))
        {
            await transaction.RollbackAsync(ct);
            return (0, 0);
        }
        await db.WritePendingAsync<InterestScore>(
            [nameof(InterestScore.SubjectKey), nameof(InterestScore.Dimension), nameof(InterestScore.TargetId)],
            [nameof(InterestScore.Score), nameof(InterestScore.AsOf)], ct);
        await db.WritePendingAsync<ClientBudgetUsage>(
            [nameof(ClientBudgetUsage.VisitorId), nameof(ClientBudgetUsage.WindowStart)], [nameof(ClientBudgetUsage.Points)], ct);
        await db.SaveChangesAsync(ct);
        // Rules read what they decide on (earlier offers, carts, orders) inside the transaction, after the scores.
        var nudges = await rules.EvaluateAsync(scored, settings, now, ct);
        await db.SaveChangesAsync(ct);
        // The admin list's materialised columns commit with the scores they summarise.
        await summaries.RefreshAsync(scored.TouchedContacts, ct);
        await transaction.CommitAsync(ct);
        // On SQLite every other writer waits for this commit: the lock time is what the tracker's tail pays.
        if (events.Count > 0)
            logger.LogDebug("Projected {Count} events up to {Position}: waited {WaitMs:F1} ms for the write lock, held it {HeldMs:F1} ms",
                events.Count, events[^1].Id, Stopwatch.GetElapsedTime(started, locked).TotalMilliseconds, Stopwatch.GetElapsedTime(locked).TotalMilliseconds);
        return (events.Count, nudges);
    }

    /// <summary>
    /// Moves the checkpoint from where this batch was read to its last event, only if it is still there:
    /// another projector that read the same checkpoint finds it moved, updates zero rows and backs off.
    /// </summary>
    private async Task<bool> ClaimAsync(long? readPosition, IReadOnlyList<TrackEvent> events, DateTime now, CancellationToken ct)
    {
        var newPosition = events.Count > 0 ? events[^1].Id : readPosition ?? 0;
        if (readPosition is null)
        {
            // The first run ever; a second instance inserting the same row fails on the key and retries later.
            db.Add(new ProjectorCheckpoint { Name = CheckpointName, Position = newPosition, UpdatedAt = now });
            return true;
        }
        if (events.Count == 0) return true;
        var claimed = await db.Set<ProjectorCheckpoint>()
            .Where(c => c.Name == CheckpointName && c.Position == readPosition)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Position, newPosition).SetProperty(c => c.UpdatedAt, now), ct);
        return claimed == 1;
    }
}
