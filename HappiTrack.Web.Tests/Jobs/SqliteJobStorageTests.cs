using System.Collections.Concurrent;
using Hangfire;
using Hangfire.Server;
using Hangfire.Storage.SQLite;
using HappiTrack.Web.Infrastructure;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Operations;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace HappiTrack.Web.Tests.Jobs;

/// <summary>
/// Issue 16 part 1: the embedded default keeps Hangfire's state in its own SQLite file, so what the
/// dashboard shows survives a restart. Each test runs one app, stops it and starts another on the same
/// two files (the app database and the jobs file), with the real Hangfire server.
/// </summary>
[Collection(RealHangfireServers.Name)]
public sealed class SqliteJobStorageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_failed_job_is_still_listed_after_a_restart()
    {
        using var files = new TempFiles();
        string id;
        await using (var first = App(files))
        {
            Assert.IsType<SQLiteStorage>(first.Services.GetRequiredService<JobStorage>());
            id = first.Services.GetRequiredService<IBackgroundJobClient>().Enqueue(() => TestJobs.Fail("boom 4711"));
            await WaitUntilAsync(() => first.Services.GetRequiredService<JobStorage>().GetMonitoringApi().FailedCount() > 0, "the job failed");
        }

        await using var second = App(files);
        var monitoring = second.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        var failed = monitoring.FailedJobs(0, 10);
        var job = Assert.Single(failed, f => f.Key == id).Value;
        Assert.Contains("boom 4711", job.ExceptionMessage);
        Assert.Contains(monitoring.JobDetails(id).History, h => h.StateName == "Failed");
    }

    [Fact]
    public async Task A_recurring_job_runs_once_per_period_across_a_restart_and_its_history_survives()
    {
        using var files = new TempFiles();
        TestJobs.Ticks.Clear();
        int succeededBefore;
        await using (var first = App(files))
        {
            Register(first);
            await WaitUntilAsync(() => TestJobs.Ticks.Count >= 2, "two ticks before the restart");
            succeededBefore = TestJobs.Ticks.Count;
        }
        var beforeRestart = TestJobs.Ticks.Count;

        await using (var second = App(files))
        {
            Register(second);
            await WaitUntilAsync(() => TestJobs.Ticks.Count >= beforeRestart + 2, "two ticks after the restart");
            var monitoring = second.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
            var listed = monitoring.SucceededJobs(0, 1000)
                .Where(j => j.Value.Job?.Method.Name == nameof(TestJobs.Tick))
                .Select(j => long.Parse(monitoring.JobDetails(j.Key).Properties["Time"]))
                .ToHashSet();
            // The first app's runs are still in the history the dashboard shows.
            Assert.All(TestJobs.Ticks.Take(succeededBefore), time => Assert.Contains(time, listed));
        }

        var times = TestJobs.Ticks.ToList();
        output.WriteLine("occurrences run (unix s): " + string.Join(", ", times));
        // One run per period: no occurrence ran twice, not even the one the restart interrupted or missed.
        Assert.Equal(times.Count, times.Distinct().Count());
        Assert.True(times.Count >= beforeRestart + 2);
    }

    private static void Register(HappiTrackFactory app) =>
        app.Services.GetRequiredService<IRecurringJobManager>().AddOrUpdate(
            "test:tick", () => TestJobs.Tick(null), "*/2 * * * * *", new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });

    private static HappiTrackFactory App(TempFiles files)
    {
        var app = new HappiTrackFactory(files.Path("app.db"), Web.Data.DatabaseProvider.Sqlite) { DeleteDatabaseOnDispose = false };
        app.Settings["Jobs:RunServer"] = "true";
        app.Settings["Jobs:Storage"] = nameof(JobStorageKind.Sqlite);
        app.Settings["Jobs:Sqlite:Path"] = files.Path("jobs.db");
        _ = app.Services;
        return app;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within 60 s: {what}");
            await Task.Delay(100);
        }
    }
}

/// <summary>Jobs only the tests enqueue (static: Hangfire calls them without activating anything).</summary>
public static class TestJobs
{
    public static readonly ConcurrentQueue<long> Ticks = new();

    [AutomaticRetry(Attempts = 0)]
    public static void Fail(string message) => throw new InvalidOperationException(message);

    /// <summary>Records which occurrence ran: the recurring scheduler stores its time as the job parameter "Time".</summary>
    [AutomaticRetry(Attempts = 0)]
    public static void Tick(PerformContext? context) => Ticks.Enqueue(context!.GetJobParameter<long>("Time"));
}
