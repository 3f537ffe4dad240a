using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Settings;
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
/// loop. Reads events after its checkpoint in id order, in bounded batches, and in ONE transaction per
/// batch has <see cref="InterestScorer"/> apply them to the interest rows, <see cref="EventRules"/>
/// evaluate what they set off, the CRM list columns refresh, and advances the checkpoint. A crash rolls
/// all of it back, so each event is applied exactly once, and scoring stays off the ingestion hot path.
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
    public const int BatchSize = 500;
    private const int MaxBatchesPerRun = 20;

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
            for (var i = 0; i < MaxBatchesPerRun; i++)
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

        await using var transaction = await db.Database.BeginWriteTransactionAsync(ct);
        var position = await db.Set<ProjectorCheckpoint>().Where(c => c.Name == CheckpointName).Select(c => (long?)c.Position).FirstOrDefaultAsync(ct);
        if (position is null)
        {
            db.Add(new ProjectorCheckpoint { Name = CheckpointName, Position = 0, UpdatedAt = now });
            await db.SaveChangesAsync(ct);
            position = 0;
        }

        var events = await db.Events.AsNoTracking().Where(e => e.Id > position).OrderBy(e => e.Id).Take(BatchSize).ToListAsync(ct);
        if (events.Count > 0)
        {
            var newPosition = events[^1].Id;
            // Claims the batch: another projector that read the same checkpoint updates zero rows and backs off.
            var claimed = await db.Set<ProjectorCheckpoint>()
                .Where(c => c.Name == CheckpointName && c.Position == position)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Position, newPosition).SetProperty(c => c.UpdatedAt, now), ct);
            if (claimed != 1)
            {
                await transaction.RollbackAsync(ct);
                return (0, 0);
            }
        }
        // Runs without events too: visitors linked since the last batch still have rows to merge.
        var scored = await scorer.ApplyAsync(events, settings.Scoring, settings.InterestDiscount.Threshold, now, ct);
        var nudges = await rules.EvaluateAsync(scored, settings, now, ct);
        await db.SaveChangesAsync(ct);
        // The admin list's materialised columns commit with the scores they summarise.
        await summaries.RefreshAsync(scored.TouchedContacts, ct);
        await transaction.CommitAsync(ct);
        if (events.Count > 0) logger.LogDebug("Projected {Count} events up to {Position}", events.Count, events[^1].Id);
        return (events.Count, nudges);
    }
}
