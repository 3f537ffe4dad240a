using System.Globalization;
using System.Net;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Brain;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Tests.Analytics;

/// <summary>
/// <c>seed-demo</c> gives the admin dashboard a recent week (today and the last 7 days) without touching the holdout
/// experiment: the recent messages go only to opted-in contacts the experiment never nudged, their credited orders are
/// those contacts' own, and none of them waits to be sent. SQLite only (the generator writes SQLite files).
/// </summary>
public sealed class DemoRecentActivityTests : IAsyncLifetime
{
    private readonly AdminFactory _factory = new(HappiTrackFactory.NewDatabasePath(), provider: DatabaseProvider.Sqlite);

    public async Task InitializeAsync()
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DemoDataGenerator>().RunAsync(
            new DemoDataOptions(Events: 6000, Visitors: 1500, Contacts: 1000, Orders: 100, Days: 30, Seed: 42), TextWriter.Null);
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private DateTime Now => _factory.Clock.GetUtcNow().UtcDateTime;

    private TimeSpan Window => TimeSpan.FromDays(_factory.Services.GetRequiredService<IOptions<AttributionOptions>>().Value.WindowDays);

    private async Task<IHtmlDocument> DashboardAsync()
    {
        var admin = await _factory.AdminClientAsync();
        var response = await admin.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
    }

    private static decimal Figure(IHtmlDocument doc, string id) =>
        decimal.Parse(new string(doc.GetElementById(id)!.TextContent.Where(c => char.IsDigit(c) || c == '.').ToArray()), CultureInfo.InvariantCulture);

    [Fact]
    public async Task The_dashboards_today_and_seven_day_tiles_show_sends_clicks_orders_holds_and_failures()
    {
        var doc = await DashboardAsync();
        foreach (var id in new[] { "sent-today", "sent-7d", "clicks-today", "clicks-7d", "orders-today", "orders-7d", "revenue-today", "revenue-7d",
                     "cap-7d", "failed-7d", "now-dead" })
            Assert.True(Figure(doc, id) > 0, $"{id} is {doc.GetElementById(id)!.TextContent}");
        Assert.True(Figure(doc, "sent-7d") >= Figure(doc, "sent-today"));
    }

    [Fact]
    public async Task The_recent_week_leaves_the_experiment_alone_and_reaches_only_opted_in_contacts()
    {
        var since = Now - Window;
        var (experimentContacts, recent, optedIn) = await _factory.WithDbAsync(async db => (
            await db.Set<Nudge>().Where(n => n.CreatedAt < since).Select(n => n.ContactId).Distinct().ToListAsync(),
            await db.Set<Nudge>().AsNoTracking().Where(n => n.CreatedAt >= since).ToListAsync(),
            await db.Contacts.Where(c => c.OptedIn && !c.OptedOut).Select(c => c.Id).ToListAsync()));
        Assert.InRange(recent.Count, 10, 60);
        Assert.All(recent, n => Assert.InRange(n.CreatedAt, Now.AddDays(-8), Now));
        Assert.Empty(recent.Select(n => n.ContactId).Intersect(experimentContacts));
        Assert.All(recent, n => Assert.Contains(n.ContactId, optedIn));

        // Credited orders are the recent contacts' own, placed after the click and before now.
        var byId = recent.ToDictionary(n => n.Id);
        var credited = await _factory.WithDbAsync(db => db.Orders.AsNoTracking()
            .Where(o => o.AttributedNudgeId != null && db.Set<Nudge>().Any(n => n.Id == o.AttributedNudgeId && n.CreatedAt >= since))
            .Select(o => new { o.ContactId, o.PlacedAt, Nudge = o.AttributedNudgeId!.Value }).ToListAsync());
        Assert.NotEmpty(credited);
        Assert.All(credited, o =>
        {
            var nudge = byId[o.Nudge];
            Assert.Equal(nudge.ContactId, o.ContactId);
            Assert.InRange(o.PlacedAt, nudge.ClickedAt!.Value, Now);
        });

        // Nothing invented waits to be sent: a due waiting or failed nudge would really go out.
        Assert.All(recent, n => Assert.Contains(n.Status, new[] { NudgeStatuses.Sent, NudgeStatuses.HeldOut, NudgeStatuses.Suppressed, NudgeStatuses.Dead }));
        _factory.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(0, await new BrainKit(_factory).DispatchAsync());
    }
}
