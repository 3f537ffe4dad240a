using System.Buffers.Text;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Tests.Brain;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace HappiTrack.Web.Tests.Security;

/// <summary>
/// SECURITY.md row 6: the real app process dispatches nudges through its Hangfire outbox job to a
/// real bot server (webhook mode) and is SIGKILLed mid-dispatch, five rounds of 500 nudges. At the
/// end every nudge is sent exactly once in the database, the bot got every nudge, and any second
/// delivery is a resend of an interrupted send carrying the same Idempotency-Key.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class KillDuringDispatchTests(ITestOutputHelper output)
{
    private const int Rounds = 5;
    private const int NudgesPerRound = 500;
    private const string Secret = "kill-test-webhook-secret-0123456789";

    [RealProcessFact]
    public async Task Five_kill_9s_during_dispatch_of_500_nudges_each_lose_none_and_send_none_twice_under_another_key()
    {
        await using var bot = await TestBotServer.StartAsync();
        // Arranges and inspects the same file as the app process; its own jobs are off (Testing environment).
        await using var db = new HappiTrackFactory(HappiTrackFactory.NewDatabasePath(), DatabaseProvider.Sqlite);
        await new BrainKit(db).UpdateSettingsAsync(s =>
        {
            // The real clock decides here: quiet hours would hold the nudges back at night.
            s.Guards.QuietHoursStart = "00:00";
            s.Guards.QuietHoursEnd = "00:00";
            s.Dispatch.BaseBackoffSeconds = 1;
        });
        var settings = new Dictionary<string, string>
        {
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:Default"] = db.ConnectionString,
            ["Dispatch:Mode"] = DispatchModes.Webhook,
            ["Dispatch:Webhook:Url"] = new Uri(bot.BaseAddress, "/bot/nudges").ToString(),
            ["Dispatch:Webhook:Secret"] = Secret,
            // A killed send is retried once its lease runs out: short here so the test does not wait minutes.
            // (The restart itself takes about as long on a busy machine.) Timeouts stay generous so that a slow
            // machine does not add timeout resends to the kills' re-deliveries.
            ["Dispatch:Lease"] = "00:00:06",
            ["Dispatch:Http:RetryCount"] = "1",
            ["Dispatch:Http:RetryBaseDelay"] = "00:00:00.050",
            ["Dispatch:Http:AttemptTimeout"] = "00:00:01.500",
            ["Dispatch:Http:TotalTimeout"] = "00:00:03",
            ["Jobs:RunServer"] = "true",
            ["Jobs:Cron:Outbox"] = "* * * * * *",
            ["Shop:PublicBaseUrl"] = "https://shop.example",
        };

        var allIds = new List<int>();
        var startups = new List<TimeSpan>();
        var killedAfter = new List<int>();
        var random = new Random();
        var app = await AppProcess.StartAsync(settings);
        startups.Add(app.StartupTime);
        var watch = Stopwatch.StartNew();
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                var before = bot.Requests.Count;
                var ids = await SeedAsync(db, round);
                allIds.AddRange(ids);
                var target = random.Next(NudgesPerRound / 10, NudgesPerRound * 9 / 10);
                var deadline = Stopwatch.StartNew();
                while (bot.Requests.Count - before < target)
                {
                    Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"round {round}: the bot got only {bot.Requests.Count - before} nudges in 60 s");
                    Assert.False(app.HasExited, "the app died by itself:\n" + string.Join('\n', app.Output.TakeLast(30)));
                    await Task.Delay(5);
                }
                app.Kill();
                killedAfter.Add(bot.Requests.Count - before);
                app.Dispose();

                app = await AppProcess.StartAsync(settings);
                startups.Add(app.StartupTime);
                await WaitUntilAllSentAsync(db, ids, app, round);
            }
        }
        finally
        {
            app.Dispose();
        }

        var nudges = await db.WithDbAsync(d => d.Set<Nudge>().AsNoTracking().Where(n => allIds.Contains(n.Id))
            .Select(n => new { n.Id, n.Status, n.SentAt, n.Attempts }).ToListAsync());
        var requests = bot.Requests.ToList();
        var deliveries = requests.Select(r => (Key: r.Headers["Idempotency-Key"], BodyId: JsonDocument.Parse(r.Body).RootElement.GetProperty("nudgeId").GetInt32(), r.Body)).ToList();
        var perNudge = deliveries.GroupBy(d => d.BodyId).ToDictionary(g => g.Key, g => g.ToList());
        var redelivered = perNudge.Values.Count(list => list.Count > 1);
        var extraDeliveries = perNudge.Values.Sum(list => list.Count - 1);
        output.WriteLine($"{Rounds} rounds × {NudgesPerRound} nudges, killed after the bot had {string.Join(", ", killedAfter)} of each round; " +
                         $"{requests.Count} bot requests for {perNudge.Count} nudges: {redelivered} nudges re-delivered after a kill " +
                         $"({extraDeliveries} extra requests, each with its nudge's Idempotency-Key); " +
                         $"app start to listening: median {startups.Order().ElementAt(startups.Count / 2).TotalMilliseconds:0} ms, max {startups.Max().TotalMilliseconds:0} ms; " +
                         $"{watch.Elapsed.TotalSeconds:0.0} s in all; load average {KillDuringIngestionTests.LoadAverage()}");

        Assert.Equal(Rounds * NudgesPerRound, nudges.Count);
        Assert.All(nudges, n => Assert.Equal((n.Id, NudgeStatuses.Sent), (n.Id, n.Status)));
        Assert.All(nudges, n => Assert.NotNull(n.SentAt));
        // None lost: the bot saw every nudge. None sent twice: every request carries its own nudge's key, so a bot
        // that honours Idempotency-Key delivers each nudge once, and repeats happen only for sends a kill interrupted.
        Assert.Equal(allIds.Order(), perNudge.Keys.Order());
        Assert.All(deliveries, d => Assert.Equal(d.BodyId.ToString(), d.Key));
        Assert.All(perNudge.Values, list => Assert.Single(list.Select(d => d.Body).Distinct()));
        // At a kill, at most one send per Hangfire worker is in flight (each outbox run sends one nudge at a time).
        var inFlightPerKill = Math.Max(2, Environment.ProcessorCount);
        Assert.True(redelivered <= Rounds * inFlightPerKill, $"{redelivered} nudges were delivered more than once; only sends in flight at one of the {Rounds} kills may be");
    }

    private static Task<List<int>> SeedAsync(HappiTrackFactory db, int round) => db.WithDbAsync(d =>
        QueuedNudges.ForNewContactsAsync(d, NudgesPerRound, DateTime.UtcNow, i => $"+4917{round}{i:D7}", $"kill:{round}", name: i => $"Kill {round}-{i}"));

    private static async Task WaitUntilAllSentAsync(HappiTrackFactory db, List<int> ids, AppProcess app, int round)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var pending = await db.WithDbAsync(d => d.Set<Nudge>().CountAsync(n => ids.Contains(n.Id) && n.Status != NudgeStatuses.Sent));
            if (pending == 0) return;
            var states = await db.WithDbAsync(d => d.Set<Nudge>().Where(n => ids.Contains(n.Id) && n.Status != NudgeStatuses.Sent)
                .GroupBy(n => n.Status).Select(g => g.Key + "×" + g.Count()).ToListAsync());
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(90),
                $"round {round}: not sent after 90 s: {string.Join(", ", states)}\n{string.Join('\n', app.Output.TakeLast(30))}");
            Assert.DoesNotContain(states, s => s.StartsWith(NudgeStatuses.Dead) || s.StartsWith(NudgeStatuses.Suppressed));
            await Task.Delay(200);
        }
    }
}
