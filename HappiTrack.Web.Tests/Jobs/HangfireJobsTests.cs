using HappiTrack.Web.Data;
using HappiTrack.Web.Tests.Infrastructure;
using Hangfire;
using Hangfire.Storage;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Rules;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Brain;

/// <summary>The one test that runs the real Hangfire server: the recurring jobs fire on their own.</summary>
// Hangfire keeps process-wide state (its current storage and log provider): test classes that run real
// Hangfire servers take turns rather than run side by side.
[Collection(RealHangfireServers.Name)]
public class HangfireJobsTests
{
    [Fact]
    public async Task The_recurring_jobs_are_registered_under_constant_ids_and_project_and_dispatch_without_help()
    {
        // Hangfire's own storage differs per provider; on PostgreSQL its recurring scheduling across
        // instances is covered by ScaleOut/TwoInstanceTests, so this real-server test keeps the in-memory one.
        await using var app = new LoggedApp(HappiTrackFactory.NewDatabasePath(), DatabaseProvider.Sqlite);
        app.Settings["Jobs:RunServer"] = "true";
        foreach (var job in new[] { "ProjectEvents", "CartAbandonment", "Outbox", "TokensExpire" })
            app.Settings[$"Jobs:Cron:{job}"] = "* * * * * *";
        var kit = new BrainKit(app);

        var ids = app.Services.GetRequiredService<JobStorage>().GetConnection().GetRecurringJobs().Select(j => j.Id).ToList();
        foreach (var id in new[] { CartAbandonmentJob.Id, OutboxDispatchJob.Id, ProjectEventsJob.Id, TokensExpireJob.Id })
            Assert.Contains(id, ids);

        var contact = await kit.ContactAsync();
        var visitor = await kit.VisitorAsync(contact.Id);
        await kit.EventAsync(visitor, EventTypes.ProductView, BrainKit.Featured);
        await kit.EventAsync(visitor, EventTypes.LingerSpecs, BrainKit.Featured);
        await kit.AddToCartAsync(visitor, BrainKit.Featured);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        List<Nudge> nudges;
        do
        {
            await Task.Delay(250);
            nudges = await kit.NudgesAsync(contact.Id);
        } while (!(nudges.Count == 1 && nudges[0].Status == NudgeStatuses.Sent) && DateTime.UtcNow < deadline);

        var nudge = Assert.Single(nudges);
        Assert.Equal(NudgeStatuses.Sent, nudge.Status);
        Assert.Equal([nudge.Id], app.SentNudgeIds());
    }
}
