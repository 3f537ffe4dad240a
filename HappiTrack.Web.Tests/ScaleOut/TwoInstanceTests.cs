using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Tokens;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Tracking;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace HappiTrack.Web.Tests.ScaleOut;

/// <summary>
/// One app host on the shared PostgreSQL database, with its Hangfire server running and nudges sent to a test bot.
/// Each instance has its own DI container, connection pools, event writer, Hangfire server and Data
/// Protection key cache; only the database is shared, as between two machines behind a load balancer.
/// </summary>
public sealed class ScaleOutInstance : HappiTrackFactory
{
    public const string AdminEmail = "owner@example.com";
    public const string AdminPassword = "correct horse battery";

    public ScaleOutInstance(string databaseKey, TestBotServer bot) : base(databaseKey, DatabaseProvider.Postgres)
    {
        Settings["Dispatch:Mode"] = "Webhook";
        Settings["Dispatch:Webhook:Url"] = new Uri(bot.BaseAddress, "/bot/nudges").ToString();
        Settings["Dispatch:Webhook:Secret"] = "scale-out-webhook-secret";
        Settings["Admin:Email"] = AdminEmail;
        Settings["Admin:Password"] = AdminPassword;
        Settings["Jobs:RunServer"] = "true";
        Settings["Jobs:Cron:TokensExpire"] = "*/2 * * * * *";
        Settings["Jobs:Cron:Outbox"] = "* * * * * *";
        // Not under test here; kept out of the way of the counts.
        Settings["Jobs:Cron:ProjectEvents"] = "0 0 0 1 1 *";
        Settings["Jobs:Cron:CartAbandonment"] = "0 0 0 1 1 *";
    }
}

/// <summary>Instance A starts first (it migrates and seeds), then B, both on one database.</summary>
public sealed class TwoInstances : IAsyncLifetime
{
    private readonly string _key = "scale-out-" + Guid.NewGuid().ToString("N");
    public TestBotServer Bot { get; private set; } = null!;
    public ScaleOutInstance A { get; private set; } = null!;
    public ScaleOutInstance B { get; private set; } = null!;
    public DateTime StartedAt { get; private set; }

    public async Task InitializeAsync()
    {
        if (TestPostgres.SkipReason is not null) return;
        Bot = await TestBotServer.StartAsync();
        // Before A: its Hangfire server starts scheduling while B is still starting.
        StartedAt = DateTime.UtcNow;
        A = new ScaleOutInstance(_key, Bot) { DeleteDatabaseOnDispose = false };
        _ = A.Services;
        B = new ScaleOutInstance(_key, Bot);
        _ = B.Services;
    }

    public async Task DisposeAsync()
    {
        if (A is not null) await A.DisposeAsync();
        if (B is not null) await B.DisposeAsync();
        if (Bot is not null) await Bot.DisposeAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(A.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}

[Collection(RealHangfireServers.Name)]
public sealed class TwoInstanceTests(TwoInstances instances) : IClassFixture<TwoInstances>
{
    private ScaleOutInstance A => instances.A;
    private ScaleOutInstance B => instances.B;

    [PostgresFact]
    public async Task A_thousand_events_posted_alternately_to_both_instances_are_each_stored_exactly_once()
    {
        var visitors = Enumerable.Range(0, 20).Select(_ => VisitorCookie.NewId()).ToArray();
        var clients = new[] { A, B }.Select(app => app.CreateBrowserClient(handleCookies: false)).ToArray();

        var statuses = new HttpStatusCode[1000];
        await Parallel.ForEachAsync(Enumerable.Range(0, 1000), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var visitor = visitors[i % visitors.Length];
            var response = await clients[i % 2].TrackAsync(
                TrackingHttp.Payload($$$"""{"type":"click","data":{"path":"/","label":"n{{{i}}}"}}"""),
                configure: r => r.Headers.Add("Cookie", $"{VisitorCookie.Name}={visitor}"));
            statuses[i] = response.StatusCode;
        });

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Accepted, s));
        var stored = await A.WithDbAsync(db => db.Events.AsNoTracking()
            .Where(e => visitors.Contains(e.VisitorId)).Select(e => e.Data!).ToListAsync());
        Assert.Equal(1000, stored.Count);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"n{i}").Order(),
            stored.Select(d => Regex.Match(d, "\"label\":\"(n\\d+)\"").Groups[1].Value).Order());
        Assert.Equal(visitors.Length, await A.WithDbAsync(db => db.Visitors.CountAsync(v => visitors.Contains(v.Id))));
    }

    [PostgresFact]
    public async Task A_recurring_job_runs_once_per_period_across_both_instances()
    {
        // tokens:expire fires every 2 s; wait until a fair number of periods has passed since both started.
        var elapsed = DateTime.UtcNow - instances.StartedAt;
        if (elapsed < TimeSpan.FromSeconds(16)) await Task.Delay(TimeSpan.FromSeconds(16) - elapsed);
        var window = DateTime.UtcNow - instances.StartedAt;

        Assert.Equal(2L, await instances.ScalarAsync<long>("SELECT count(*) FROM hangfire.server"));
        const string expireJobs = "FROM hangfire.job j WHERE j.invocationdata::text LIKE '%TokensExpireJob%'";
        var lastJob = await instances.ScalarAsync<long>($"SELECT coalesce(max(j.id), 0) {expireJobs}");
        var jobs = await instances.ScalarAsync<long>($"SELECT count(*) {expireJobs} AND j.id <= {lastJob}");

        // Hangfire stamps each recurring run with the scheduler's time ("Time"), and after a run it
        // schedules the next one for the first fire time after that stamp: so on a single scheduler
        // no two runs can share a 2-second cron slot, however late a loaded machine makes them.
        // Two instances scheduling on their own would both fire in the same slot.
        var stamps = await instances.ScalarAsync<string>(
            "SELECT coalesce(string_agg(p.value, ','), '') FROM hangfire.jobparameter p JOIN hangfire.job j ON j.id = p.jobid " +
            $"WHERE p.name = 'Time' AND j.invocationdata::text LIKE '%TokensExpireJob%' AND j.id <= {lastJob}");
        var slots = stamps.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => long.Parse(v.Trim('"'), System.Globalization.CultureInfo.InvariantCulture) / 2).ToList();
        Assert.Equal(jobs, slots.Count);
        Assert.Equal(slots.Count, slots.Distinct().Count());
        Assert.InRange(jobs, 2, (long)Math.Ceiling(window.TotalSeconds / 2) + 1);

        // Each of those runs is processed by one worker of one instance, once, and succeeds. A busy
        // machine may still be working through the last few, so wait for them to finish first.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        long unfinished;
        while ((unfinished = await instances.ScalarAsync<long>(
                   $"SELECT count(*) {expireJobs} AND j.id <= {lastJob} AND j.statename NOT IN ('Succeeded', 'Failed', 'Deleted')")) > 0
               && DateTime.UtcNow < deadline)
            await Task.Delay(500);
        Assert.Equal(0, unfinished);
        var notSucceeded = await instances.ScalarAsync<string>(
            $"SELECT coalesce(string_agg(j.statename || ': ' || coalesce(s.reason, '') || ' ' || coalesce(s.data::text, ''), ' | '), '') {expireJobs.Replace("WHERE", "LEFT JOIN hangfire.state s ON s.id = j.stateid WHERE")} AND j.id <= {lastJob} AND j.statename <> 'Succeeded'");
        Assert.True(notSucceeded.Length == 0, notSucceeded);
        var runs = await instances.ScalarAsync<long>(
            $"SELECT count(*) FROM hangfire.state s JOIN hangfire.job j ON j.id = s.jobid WHERE s.name = 'Processing' AND j.invocationdata::text LIKE '%TokensExpireJob%' AND j.id <= {lastJob}");
        Assert.Equal(jobs, runs);
    }

    [PostgresFact]
    public async Task A_thousand_queued_nudges_are_dispatched_exactly_once_in_total_by_both_instances()
    {
        var now = A.Clock.GetUtcNow().UtcDateTime;
        var batch = Guid.NewGuid().ToString("N")[..8];
        var nudgeIds = (await A.WithDbAsync(db => QueuedNudges.ForNewContactsAsync(
            db, 1000, now, i => $"+49170{i:D7}", batch, NudgeKinds.InterestDiscount, i => $"C{i}"))).ToHashSet();

        // Both instances drain the outbox at once (their Hangfire servers run outbox:dispatch as well).
        var deadline = DateTime.UtcNow.AddMinutes(3);
        async Task DrainAsync(ScaleOutInstance app)
        {
            while (DateTime.UtcNow < deadline)
            {
                await using var scope = app.Services.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<OutboxProcessor>().RunAsync();
                var left = await scope.ServiceProvider.GetRequiredService<AppDbContext>().Set<Nudge>()
                    .CountAsync(n => nudgeIds.Contains(n.Id) && n.Status != NudgeStatuses.Sent);
                if (left == 0) return;
            }
        }
        await Task.WhenAll(DrainAsync(A), DrainAsync(B));

        var rows = await A.WithDbAsync(db => db.Set<Nudge>().AsNoTracking().Where(n => nudgeIds.Contains(n.Id))
            .Select(n => new { n.Status, n.Attempts }).ToListAsync());
        Assert.All(rows, r => Assert.Equal((NudgeStatuses.Sent, 1), (r.Status, r.Attempts)));

        // Counted where they arrive: the bot's webhook, one request per delivery.
        var sent = instances.Bot.Requests
            .Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("nudgeId").GetInt32())
            .Where(nudgeIds.Contains).ToList();
        Assert.Equal(1000, sent.Count);
        Assert.Equal(nudgeIds.Order(), sent.Order());
    }

    [PostgresFact]
    public async Task A_login_made_on_instance_A_is_accepted_by_instance_B()
    {
        var clientA = A.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var login = await AdminFactory.PostLoginAsync(clientA, ScaleOutInstance.AdminEmail, ScaleOutInstance.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var cookies = string.Join("; ", login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));

        var clientB = B.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        var anonymous = await clientB.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);

        var request = new HttpRequestMessage(HttpMethod.Get, "/admin");
        request.Headers.Add("Cookie", cookies);
        var signedIn = await clientB.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
    }

    [PostgresFact]
    public async Task A_token_redeemed_on_instance_A_is_refused_on_instance_B_and_a_cross_instance_race_has_one_winner()
    {
        var now = A.Clock.GetUtcNow().UtcDateTime;
        var (first, second) = await A.WithDbAsync(async db =>
        {
            var contact = new Contact { Phone = "+4915199990001", Name = "T", LinkToken = Guid.NewGuid().ToString("N"), CreatedAt = now, OptInSource = "api" };
            db.Contacts.Add(contact);
            await db.SaveChangesAsync();
            var (one, _) = TokenService.Issue(db, contact.Id, 10, TokenScope.Order, now, TimeSpan.FromDays(1));
            var (two, _) = TokenService.Issue(db, contact.Id, 10, TokenScope.Order, now, TimeSpan.FromDays(1));
            await db.SaveChangesAsync();
            return (one.Id, two.Id);
        });

        Assert.True(await RedeemAsync(A, first, now));
        Assert.False(await RedeemAsync(B, first, now));

        var attempts = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => RedeemAsync(i % 2 == 0 ? A : B, second, now))));
        Assert.Single(attempts, won => won);
    }

    private static async Task<bool> RedeemAsync(ScaleOutInstance app, int tokenId, DateTime now)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return await scope.ServiceProvider.GetRequiredService<ITokenRedemptionStore>().TryRedeemAsync(db, tokenId, null, now);
    }
}
