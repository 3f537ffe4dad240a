using Hangfire;

namespace HappiTrack.Web.Features.Analytics;

/// <summary>Hangfire entry point for <see cref="RollupService.RecurringJobId"/>; the watermark lives in the database, not in the job.</summary>
public sealed class AnalyticsJobs(RollupService rollups)
{
    // Overlapping runs would rebuild the same days twice; the next tick catches up anyway.
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public Task RefreshRollups(CancellationToken ct) => rollups.RefreshChangedDaysAsync(ct);
}
