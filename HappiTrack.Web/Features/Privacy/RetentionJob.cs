using Hangfire;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Nudges;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Privacy;

public sealed record RetentionResult(int EventsDeleted, int NudgeBodiesBlanked);

/// <summary>
/// Storage limitation (GDPR art. 5(1)(e)): raw events older than <see cref="PrivacyOptions.RawEventDays"/>
/// are deleted once the analytics roll-ups have folded them in (their id is at or below the roll-up
/// watermark), and message bodies and links of nudges older than <see cref="PrivacyOptions.NudgeBodyDays"/>
/// are blanked. Both work in bounded batches, each its own short statement, so ingestion's writes
/// interleave with them instead of waiting behind one long delete.
/// </summary>
public sealed class RetentionJob(AppDbContext db, PrivacyOptions options, TimeProvider clock)
{
    public const string RecurringJobId = "privacy:retention";

    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public Task Run(CancellationToken ct) => RunAsync(ct);

    public async Task<RetentionResult> RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var eventCutoff = now.AddDays(-options.RawEventDays);
        var rolledUpTo = await db.Set<RollupState>().Where(s => s.Id == RollupState.SingletonId).Select(s => (long?)s.LastEventId).FirstOrDefaultAsync(ct) ?? 0;

        var events = 0;
        while (!ct.IsCancellationRequested)
        {
            var batch = await db.Events.Where(e => e.OccurredAt < eventCutoff && e.Id <= rolledUpTo)
                .OrderBy(e => e.Id).Take(options.BatchSize).Select(e => e.Id).ToListAsync(ct);
            if (batch.Count == 0) break;
            var (first, last) = (batch[0], batch[^1]);
            events += await db.Events.Where(e => e.Id >= first && e.Id <= last && e.OccurredAt < eventCutoff).ExecuteDeleteAsync(ct);
            if (batch.Count < options.BatchSize) break;
        }

        var nudgeCutoff = now.AddDays(-options.NudgeBodyDays);
        var nudges = 0;
        while (!ct.IsCancellationRequested)
        {
            // Only settled nudges: one still waiting or being sent needs its body.
            var batch = await db.Set<Nudge>()
                .Where(n => n.CreatedAt < nudgeCutoff && n.Message != "" && !NudgeStatuses.PendingOrSending.Contains(n.Status))
                .OrderBy(n => n.Id).Take(options.BatchSize).Select(n => n.Id).ToListAsync(ct);
            if (batch.Count == 0) break;
            nudges += await db.Set<Nudge>().Where(n => batch.Contains(n.Id)).ExecuteUpdateAsync(s => s
                .SetProperty(n => n.Message, "")
                .SetProperty(n => n.Link, "")
                .SetProperty(n => n.TokenValue, (string?)null)
                .SetProperty(n => n.CartSnapshot, (string?)null), ct);
            if (batch.Count < options.BatchSize) break;
        }
        return new RetentionResult(events, nudges);
    }
}
