using HappiTrack.Web.Data;
using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace HappiTrack.Web.Tests.Brain;

/// <summary>The app with its log captured, to see what the Log dispatcher "sent".</summary>
internal sealed class LoggedApp : HappiTrackFactory
{
    public LoggedApp() { }
    public LoggedApp(string databasePath) : base(databasePath) { }
    public LoggedApp(string databasePath, DatabaseProvider provider) : base(databasePath, provider) { }

    public ConcurrentQueue<string> Log { get; } = new();
    public INudgeDispatcher? Dispatcher { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(logging => logging.AddProvider(new QueueLoggerProvider(Log)));
        if (Dispatcher is not null)
            builder.ConfigureTestServices(s => { s.RemoveAll<INudgeDispatcher>(); s.AddSingleton(Dispatcher); });
    }

    /// <summary>Nudge ids the Log dispatcher wrote a wa.me line for, one entry per send.</summary>
    public List<int> SentNudgeIds() => Log
        .Select(l => Regex.Match(l, @"^WhatsApp nudge (\d+) .*https://wa\.me/\d+\?text="))
        .Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).ToList();

    private sealed class QueueLoggerProvider(ConcurrentQueue<string> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new QueueLogger(sink);
        public void Dispose() { }
    }

    private sealed class QueueLogger(ConcurrentQueue<string> sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Enqueue(formatter(state, exception));
    }
}

/// <summary>A WhatsApp channel that is down for the first N sends (an external system, so a stand-in is fair).</summary>
internal sealed class FlakyChannel(int failures) : INudgeDispatcher
{
    public int Calls;
    public Task<DispatchResult> SendAsync(OutgoingMessage message, CancellationToken ct) =>
        Task.FromResult(Interlocked.Increment(ref Calls) <= failures ? DispatchResult.Fail("HTTP 503 from channel") : DispatchResult.Ok);
}

public class OutboxTests
{
    private static async Task<int> QueueInterestNudgeAsync(HappiTrackFactory app, string phone)
    {
        var kit = new BrainKit(app);
        var contact = await kit.ContactAsync(phone);
        var visitor = await kit.VisitorAsync(contact.Id);
        await kit.EventAsync(visitor, EventTypes.ProductView, BrainKit.Featured);
        await kit.EventAsync(visitor, EventTypes.LingerSpecs, BrainKit.Featured);
        await kit.AddToCartAsync(visitor, BrainKit.Featured);
        return contact.Id;
    }

    [Fact]
    public async Task The_log_dispatcher_writes_the_message_and_a_wa_me_link_and_marks_the_nudge_sent()
    {
        await using var app = new LoggedApp();
        var kit = new BrainKit(app);
        var contactId = await QueueInterestNudgeAsync(app, "+4915112345678");
        await kit.ProjectAsync();
        Assert.Equal(1, await kit.DispatchAsync());

        var nudge = Assert.Single(await kit.NudgesAsync(contactId));
        Assert.Equal((NudgeStatuses.Sent, 1), (nudge.Status, nudge.Attempts));
        Assert.Equal(kit.Now, nudge.SentAt);
        var line = Assert.Single(app.Log, l => l.Contains("wa.me"));
        Assert.Contains("https://wa.me/4915112345678?text=" + Uri.EscapeDataString(nudge.Message), line);
        Assert.Contains("+49*********78", line);
        Assert.Equal(0, await kit.DispatchAsync());
        Assert.Single(app.SentNudgeIds());
    }

    [Fact]
    public async Task Pending_nudges_survive_a_restart_and_each_is_dispatched_exactly_once()
    {
        var path = HappiTrackFactory.NewDatabasePath();
        var sent = new List<int>();
        int total;
        await using (var first = new LoggedApp(path) { DeleteDatabaseOnDispose = false })
        {
            var kit = new BrainKit(first);
            for (var i = 0; i < 3; i++) await QueueInterestNudgeAsync(first, $"+491511234567{i}");
            await kit.ProjectAsync();
            Assert.Equal(1, await first.WithDbAsync(async db =>
            {
                // Sends one nudge, then "crashes" with the others pending and one claimed mid-send.
                var ids = await db.Set<Nudge>().OrderBy(n => n.Id).Select(n => n.Id).ToListAsync();
                await db.Set<Nudge>().Where(n => n.Id != ids[0]).ExecuteUpdateAsync(s => s.SetProperty(n => n.SendAfter, kit.Now.AddMinutes(1)));
                return 1;
            }));
            Assert.Equal(1, await kit.DispatchAsync());
            await first.WithDbAsync(db => db.Set<Nudge>().Where(n => n.Status == NudgeStatuses.Queued).OrderBy(n => n.Id).Take(1)
                .ExecuteUpdateAsync(s => s.SetProperty(n => n.Status, NudgeStatuses.Sending).SetProperty(n => n.LeaseUntil, kit.Now.AddMinutes(2)).SetProperty(n => n.Attempts, 1)));
            await kit.ProjectAsync();
            total = await first.WithDbAsync(db => db.Set<Nudge>().CountAsync());
            sent.AddRange(first.SentNudgeIds());
        }

        await using (var second = new LoggedApp(path))
        {
            second.Clock.SetUtcNow(HappiTrackFactory.DefaultStart.AddMinutes(5));
            var kit = new BrainKit(second);
            await kit.ProjectAsync();
            await kit.DispatchAsync();
            await kit.DispatchAsync();
            sent.AddRange(second.SentNudgeIds());
            var statuses = await second.WithDbAsync(db => db.Set<Nudge>().Select(n => n.Status).ToListAsync());
            Assert.All(statuses, s => Assert.Equal(NudgeStatuses.Sent, s));
        }

        Assert.Equal(3, total);
        Assert.Equal(total, sent.Count);
        Assert.Equal(total, sent.Distinct().Count());
    }

    [Fact]
    public async Task Two_processors_racing_over_the_same_outbox_send_each_nudge_once()
    {
        await using var app = new LoggedApp();
        var kit = new BrainKit(app);
        for (var i = 0; i < 6; i++) await QueueInterestNudgeAsync(app, $"+491511234560{i}");
        await kit.ProjectAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => kit.DispatchAsync())));

        Assert.Equal(6, results.Sum());
        Assert.Equal(6, app.SentNudgeIds().Distinct().Count());
        Assert.Equal(6, app.SentNudgeIds().Count);
    }

    [Fact]
    public async Task A_failing_channel_is_retried_with_backoff_then_the_nudge_goes_dead()
    {
        var channel = new FlakyChannel(failures: 100);
        await using var app = new LoggedApp { Dispatcher = channel };
        var kit = new BrainKit(app);
        var contactId = await QueueInterestNudgeAsync(app, "+4915112345678");
        await kit.UpdateSettingsAsync(s => { s.Dispatch.MaxAttempts = 3; s.Dispatch.BaseBackoffSeconds = 30; s.InterestDiscount.ValidHours = 240; });
        await kit.ProjectAsync();

        await kit.DispatchAsync();
        var nudge = Assert.Single(await kit.NudgesAsync(contactId));
        Assert.Equal((NudgeStatuses.Failed, 1, "HTTP 503 from channel"), (nudge.Status, nudge.Attempts, nudge.LastError));
        Assert.Equal(kit.Now.AddSeconds(30), nudge.SendAfter);

        await kit.DispatchAsync(); // not due yet
        Assert.Equal(1, channel.Calls);
        app.Clock.Advance(TimeSpan.FromSeconds(30));
        await kit.DispatchAsync();
        nudge = Assert.Single(await kit.NudgesAsync(contactId));
        Assert.Equal(kit.Now.AddSeconds(60), nudge.SendAfter);
        app.Clock.Advance(TimeSpan.FromSeconds(60));
        await kit.DispatchAsync();
        nudge = Assert.Single(await kit.NudgesAsync(contactId));
        Assert.Equal((NudgeStatuses.Dead, 3), (nudge.Status, nudge.Attempts));
        app.Clock.Advance(TimeSpan.FromDays(1));
        await kit.DispatchAsync();
        Assert.Equal(3, channel.Calls);
    }

    [Fact]
    public async Task A_retry_that_comes_due_after_the_offer_expired_is_suppressed_not_sent()
    {
        var channel = new FlakyChannel(failures: 1);
        await using var app = new LoggedApp { Dispatcher = channel };
        var kit = new BrainKit(app);
        var contactId = await QueueInterestNudgeAsync(app, "+4915112345678");
        await kit.ProjectAsync();
        await kit.DispatchAsync();
        var failed = Assert.Single(await kit.NudgesAsync(contactId));
        Assert.Equal(NudgeStatuses.Failed, failed.Status);

        // The outbox was down past the offer's validity: the channel would now accept it, but the offer is void.
        app.Clock.SetUtcNow(new DateTimeOffset(failed.ExpiresAt!.Value, TimeSpan.Zero).AddMinutes(1));
        await kit.DispatchAsync();
        var nudge = Assert.Single(await kit.NudgesAsync(contactId));
        Assert.Equal((NudgeStatuses.Suppressed, GuardReasons.Expired), (nudge.Status, nudge.Reason));
        Assert.Equal(1, channel.Calls);
    }

    [Fact]
    public async Task A_channel_that_recovers_delivers_on_the_retry()
    {
        var channel = new FlakyChannel(failures: 1);
        await using var app = new LoggedApp { Dispatcher = channel };
        var kit = new BrainKit(app);
        var contactId = await QueueInterestNudgeAsync(app, "+4915112345678");
        await kit.ProjectAsync();
        await kit.DispatchAsync();
        app.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(1, await kit.DispatchAsync());
        var nudge = Assert.Single(await kit.NudgesAsync(contactId));
        Assert.Equal((NudgeStatuses.Sent, 2), (nudge.Status, nudge.Attempts));
    }
}
