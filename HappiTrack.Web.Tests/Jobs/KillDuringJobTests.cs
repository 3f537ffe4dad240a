using System.Buffers.Text;
using System.Diagnostics;
using System.Security.Cryptography;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Tests.Brain;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Operations;
using HappiTrack.Web.Tests.Security;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace HappiTrack.Web.Tests.Jobs;

/// <summary>
/// Issue 16 part 1, on the real process with the shipped default (Hangfire on its own SQLite file):
/// SIGKILL while the outbox job is sending to a slow bot. The job that was Processing is still in the
/// jobs file after the kill, and the next process runs it again to Succeeded: retried, not lost.
/// (With the in-memory storage it would simply be gone.)
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class KillDuringJobTests(ITestOutputHelper output)
{
    private const int Nudges = 300;

    [RealProcessFact]
    public async Task A_job_killed_mid_run_is_run_again_after_the_restart()
    {
        await using var bot = await TestBotServer.StartAsync();
        var answer = bot.Responder;
        // Slow enough that one outbox run lasts seconds, so the kill lands inside it.
        bot.Responder = (request, body) =>
        {
            Thread.Sleep(40);
            return answer(request, body);
        };
        using var files = new TempFiles();
        var jobsFile = files.Path("jobs.db");
        await using var db = new HappiTrackFactory(files.Path("app.db"), DatabaseProvider.Sqlite) { DeleteDatabaseOnDispose = false };
        await new BrainKit(db).UpdateSettingsAsync(s =>
        {
            s.Guards.QuietHoursStart = "00:00";
            s.Guards.QuietHoursEnd = "00:00";
        });
        var ids = await SeedAsync(db);
        var settings = new Dictionary<string, string>
        {
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:Default"] = db.ConnectionString,
            ["Jobs:Sqlite:Path"] = jobsFile,
            // How long a fetched job stays invisible to other workers: after it, the dead process's job is fetched again.
            ["Jobs:Sqlite:InvisibilityTimeout"] = "00:00:10",
            ["Dispatch:Mode"] = DispatchModes.Webhook,
            ["Dispatch:Webhook:Url"] = new Uri(bot.BaseAddress, "/bot/nudges").ToString(),
            ["Dispatch:Webhook:Secret"] = "kill-job-test-webhook-secret-0123456789",
            ["Shop:PublicBaseUrl"] = "https://shop.example",
            ["Jobs:Cron:Outbox"] = "*/5 * * * * *",
        };

        List<long> processing;
        var watch = Stopwatch.StartNew();
        using (var app = await AppProcess.StartAsync(settings))
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                processing = bot.Requests.Count >= 10 ? ProcessingOutboxJobs(jobsFile) : [];
                if (processing.Count > 0) break;
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60),
                    $"no outbox job in progress within 60 s (bot got {bot.Requests.Count})\n" + string.Join('\n', app.Output.TakeLast(20)));
                await Task.Delay(20);
            }
            app.Kill();
        }
        var sentAtKill = bot.Requests.Count;
        // Still there after the kill, still Processing: nothing finished or dropped it.
        Assert.Equal(processing, ProcessingOutboxJobs(jobsFile).Intersect(processing).ToList());

        using (var app = await AppProcess.StartAsync(settings))
        {
            var deadline = Stopwatch.StartNew();
            while (processing.Any(id => JobState(jobsFile, id) != "Succeeded"))
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(90),
                    $"jobs {string.Join(", ", processing.Select(id => $"{id}: {JobState(jobsFile, id)}"))} not run again within 90 s\n" + string.Join('\n', app.Output.TakeLast(20)));
                await Task.Delay(200);
            }
            var unsent = await db.WithDbAsync(d => d.Set<Nudge>().CountAsync(n => ids.Contains(n.Id) && n.Status != NudgeStatuses.Sent));
            output.WriteLine($"killed with jobs {string.Join(", ", processing)} processing after {sentAtKill} of {Nudges} sends; " +
                             $"they reached Succeeded {deadline.Elapsed.TotalSeconds:0.0} s after the restart began; {unsent} nudges still unsent then; " +
                             $"{watch.Elapsed.TotalSeconds:0.0} s in all; load average {KillDuringIngestionTests.LoadAverage()}");
        }

        foreach (var id in processing)
        {
            // Two Processing states: the run the kill cut short and the run after the restart.
            Assert.True(StateCount(jobsFile, id, "Processing") >= 2, $"job {id} was not processed again");
        }
    }

    private static List<long> ProcessingOutboxJobs(string jobsFile) => Query(jobsFile,
        "SELECT Id FROM Job WHERE StateName = 'Processing' AND InvocationData LIKE '%OutboxDispatchJob%' ORDER BY Id",
        reader => reader.GetInt64(0));

    private static string? JobState(string jobsFile, long id) =>
        Query(jobsFile, $"SELECT StateName FROM Job WHERE Id = {id}", reader => reader.GetString(0)).SingleOrDefault();

    private static int StateCount(string jobsFile, long id, string state) =>
        Query(jobsFile, $"SELECT COUNT(*) FROM State WHERE JobId = {id} AND Name = '{state}'", reader => reader.GetInt32(0)).Single();

    private static List<T> Query<T>(string jobsFile, string sql, Func<SqliteDataReader, T> read)
    {
        using var connection = new SqliteConnection($"Data Source={jobsFile};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using (var wait = connection.CreateCommand())
        {
            wait.CommandText = "PRAGMA busy_timeout=5000";
            wait.ExecuteNonQuery();
        }
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }

    private static async Task<List<int>> SeedAsync(HappiTrackFactory db) => await db.WithDbAsync(async d =>
    {
        var now = DateTime.UtcNow;
        var nudges = new List<Nudge>();
        for (var i = 0; i < Nudges; i++)
        {
            var contact = new Contact
            {
                Phone = $"+4917{i:D8}", Name = $"Job kill {i}", LinkToken = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)),
                CreatedAt = now, OptedIn = true, OptedInAt = now, OptInSource = "api",
            };
            var code = NudgeOutbox.NewCode();
            nudges.Add(new Nudge
            {
                Contact = contact, Kind = NudgeKinds.Campaign, Status = NudgeStatuses.Queued, DedupKey = $"job-kill:{i}", Code = code,
                Link = $"https://shop.example/r/{code}", Message = $"Hi! https://shop.example/r/{code}", CreatedAt = now, SendAfter = now,
            });
        }
        d.AddRange(nudges);
        await d.SaveChangesAsync();
        return nudges.Select(n => n.Id).ToList();
    });
}
