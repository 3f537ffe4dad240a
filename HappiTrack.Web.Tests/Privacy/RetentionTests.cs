using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Privacy;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Features.Tracking.Ingestion;
using HappiTrack.Web.Tests.Admin;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Privacy;

/// <summary>The retention job (issue 18, GDPR art. 5(1)(e)): <c>Privacy:RawEventDays</c> and <c>Privacy:NudgeBodyDays</c>.</summary>
public sealed class RetentionTests
{
    private static DateTime Now => PrivacyKit.Now;

    private static AdminFactory App() => new()
    {
        Settings = { ["Privacy:RawEventDays"] = "180", ["Privacy:NudgeBodyDays"] = "90", ["Privacy:BatchSize"] = "7" },
    };

    private static Task<long[]> AddEventsAsync(AdminFactory app, string visitorId, DateTime at, int count) => app.WithDbAsync(async db =>
    {
        var events = Enumerable.Range(0, count).Select(i => new TrackEvent
        {
            Type = EventTypes.PageView, VisitorId = visitorId, OccurredAt = at.AddMinutes(i), Path = "/", Source = EventSource.Client,
        }).ToList();
        db.Events.AddRange(events);
        await db.SaveChangesAsync();
        return events.Select(e => e.Id).ToArray();
    });

    /// <summary>The roll-up watermark as the roll-up job leaves it: every event up to the current maximum is folded in.</summary>
    private static Task MarkRolledUpAsync(AdminFactory app) => app.WithDbAsync(async db =>
    {
        var max = await db.Events.MaxAsync(e => (long?)e.Id) ?? 0;
        var state = await db.Set<RollupState>().FirstOrDefaultAsync();
        if (state is null) db.Add(new RollupState { LastEventId = max });
        else state.LastEventId = max;
        await db.SaveChangesAsync();
    });

    private static async Task<RetentionResult> RunAsync(AdminFactory app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<RetentionJob>().RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Old_rolled_up_events_are_deleted_in_batches_and_recent_or_not_rolled_up_ones_stay()
    {
        await using var app = App();
        var old = await AddEventsAsync(app, "retention-old", Now.AddDays(-200), 23);
        var recent = await AddEventsAsync(app, "retention-recent", Now.AddDays(-179), 4);
        await MarkRolledUpAsync(app);
        var oldButNotRolledUp = await AddEventsAsync(app, "retention-late", Now.AddDays(-300), 3);

        var result = await RunAsync(app);

        Assert.Equal(old.Length, result.EventsDeleted);
        await app.WithDbAsync(async db =>
        {
            Assert.Equal(0, await db.Events.CountAsync(e => old.Contains(e.Id)));
            Assert.Equal(recent.Length, await db.Events.CountAsync(e => recent.Contains(e.Id)));
            Assert.Equal(oldButNotRolledUp.Length, await db.Events.CountAsync(e => oldButNotRolledUp.Contains(e.Id)));
        });
        Assert.Equal(0, (await RunAsync(app)).EventsDeleted);
    }

    [Fact]
    public async Task Bodies_and_links_of_settled_nudges_older_than_the_limit_are_blanked()
    {
        await using var app = App();
        var contact = await PrivacyKit.SeedAsync(app, "+4915100000021", "Ret Ention", events: 0);
        var ids = await app.WithDbAsync(async db =>
        {
            var seeded = await db.Set<Nudge>().Where(n => n.ContactId == contact.Id).OrderBy(n => n.Id).ToListAsync();
            var list = new List<Nudge>();
            foreach (var (status, age) in new[] { (NudgeStatuses.Sent, 91), (NudgeStatuses.Deferred, 120), (NudgeStatuses.Sent, 89) })
            {
                var code = NudgeOutbox.NewCode();
                list.Add(new Nudge
                {
                    ContactId = contact.Id, Kind = NudgeKinds.Campaign, Status = status, DedupKey = "ret:" + code, Code = code,
                    Message = "Old news", Link = "http://localhost/r/" + code, TokenValue = "T" + code, CreatedAt = Now.AddDays(-age), SendAfter = Now,
                });
            }
            db.AddRange(list);
            await db.SaveChangesAsync();
            return list.Select(n => n.Id).ToArray();
        });

        var result = await RunAsync(app);

        Assert.Equal(1, result.NudgeBodiesBlanked);
        var nudges = await app.WithDbAsync(db => db.Set<Nudge>().AsNoTracking().Where(n => ids.Contains(n.Id)).OrderBy(n => n.Id).ToListAsync());
        Assert.Equal(("", "", (string?)null, NudgeStatuses.Sent), (nudges[0].Message, nudges[0].Link, nudges[0].TokenValue, nudges[0].Status));
        Assert.Equal("Old news", nudges[1].Message); // still waiting to be sent
        Assert.Equal("Old news", nudges[2].Message); // younger than the limit
    }

    [Fact]
    public async Task Fifty_writers_keep_ingesting_while_retention_deletes()
    {
        await using var app = new AdminFactory { Settings = { ["Privacy:BatchSize"] = "50" } };
        var old = await AddEventsAsync(app, "retention-bulk", Now.AddDays(-400), 3000);
        await MarkRolledUpAsync(app);
        var ingestor = app.Services.GetRequiredService<IEventIngestor>();

        var writers = Enumerable.Range(0, 50).Select(w => Task.Run(async () =>
        {
            var outcomes = new List<IngestOutcome>();
            for (var i = 0; i < 10; i++)
            {
                var batch = new EventBatch($"writer-{w}", Now, [new IngestEvent(EventTypes.PageView, null, null, "/", null)]);
                outcomes.Add(await ingestor.IngestAsync(batch, CancellationToken.None));
            }
            return outcomes;
        })).ToList();
        var retention = RunAsync(app);
        var outcomes = (await Task.WhenAll(writers)).SelectMany(o => o).ToList();
        var result = await retention;

        Assert.All(outcomes, o => Assert.Equal(IngestOutcome.Stored, o));
        Assert.Equal(old.Length, result.EventsDeleted);
        Assert.Equal(500, await app.WithDbAsync(db => db.Events.CountAsync(e => e.VisitorId.StartsWith("writer-"))));
        Assert.Equal(0, await app.WithDbAsync(db => db.Events.CountAsync(e => e.VisitorId == "retention-bulk")));
    }
}
