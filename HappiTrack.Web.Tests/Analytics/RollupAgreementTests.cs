using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Sites;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Analytics;

/// <summary>
/// On a generated history of a few thousand events, every table from the roll-ups equals the raw one: for all sites
/// together and for each site (a third of the visitors, with their events and orders, belong to a second site).
/// </summary>
public sealed class RollupAgreementTests : IAsyncLifetime
{
    // The demo data generator writes SQLite files only, so this comparison runs on SQLite in both suite passes.
    private readonly AdminFactory _factory = new(HappiTrackFactory.NewDatabasePath(), provider: DatabaseProvider.Sqlite);

    private int _second;

    public async Task InitializeAsync()
    {
        await using (var scope = _factory.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<DemoDataGenerator>().RunAsync(
                new DemoDataOptions(Events: 4000, Visitors: 300, Contacts: 40, Orders: 40, Days: 20, Seed: 7), TextWriter.Null);
        }
        _second = (await SiteKit.RegisterAsync(_factory, "Second Shop", "https://second.example")).SiteId;
        await _factory.WithDbAsync(async db =>
        {
            await db.Database.ExecuteSqlRawAsync(
                "UPDATE \"Visitors\" SET \"SiteId\" = {0} WHERE \"Id\" IN (SELECT \"Id\" FROM \"Visitors\" ORDER BY \"Id\" LIMIT 100)", _second);
            foreach (var table in new[] { "Events", "Orders" })
            {
                await db.Database.ExecuteSqlRawAsync(
                    $"UPDATE \"{table}\" SET \"SiteId\" = {{0}} WHERE \"VisitorId\" IN (SELECT \"Id\" FROM \"Visitors\" WHERE \"SiteId\" = {{0}})", _second);
            }
        });
        await using (var scope = _factory.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<RollupService>().RefreshAsync(AnalyticsTestData.Day(-19), HappiTrackFactory.Today);
    }

    private IEnumerable<int?> Sites => [null, Web.Features.Shared.SiteIds.Trusty, _second];

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task AssertAgreeAsync(DateRange range)
    {
        foreach (var site in Sites) await AssertAgreeAsync(range, site);
    }

    private async Task AssertAgreeAsync(DateRange range, int? site)
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        var dashboard = scope.ServiceProvider.GetRequiredService<AnalyticsDashboard>();
        var rollup = await dashboard.BuildAsync(range, AnalyticsSource.Rollup, tagKind: "all", site: site);
        var raw = await dashboard.BuildAsync(range, AnalyticsSource.Raw, tagKind: "all", site: site);
        Assert.Equal(raw.Kpis, rollup.Kpis);
        Assert.Equal(raw.Funnel, rollup.Funnel);
        Assert.Equal(raw.Heatmap.Counts, rollup.Heatmap.Counts);
        Assert.Equal(raw.Heatmap.Paths, rollup.Heatmap.Paths);
        foreach (var table in raw.Tables)
        {
            var other = rollup.Table(table.Id);
            Assert.Equal(table.Columns, other.Columns);
            Assert.Equal(table.Rows.Select(r => string.Join("|", r)), other.Rows.Select(r => string.Join("|", r)));
        }
    }

    [Theory]
    [InlineData(-19, 0)]
    [InlineData(-6, 0)]
    [InlineData(-14, -12)]
    [InlineData(0, 0)]
    public async Task Rollups_equal_raw_queries(int fromDaysAgo, int toDaysAgo)
    {
        var range = new DateRange(AnalyticsTestData.Day(fromDaysAgo), AnalyticsTestData.Day(toDaysAgo));
        await using (var scope = _factory.Services.CreateAsyncScope())
        {
            var d = await scope.ServiceProvider.GetRequiredService<AnalyticsDashboard>().BuildAsync(range, AnalyticsSource.Raw);
            Assert.True(d.Kpis.Visitors > 0);
            // Each site holds part of the range's visitors, and the two parts make the whole.
            var trusty = await scope.ServiceProvider.GetRequiredService<AnalyticsDashboard>().BuildAsync(range, AnalyticsSource.Raw, site: Web.Features.Shared.SiteIds.Trusty);
            var second = await scope.ServiceProvider.GetRequiredService<AnalyticsDashboard>().BuildAsync(range, AnalyticsSource.Raw, site: _second);
            Assert.True(trusty.Kpis.Visitors > 0 && second.Kpis.Visitors > 0);
            Assert.Equal(d.Kpis.Visitors, trusty.Kpis.Visitors + second.Kpis.Visitors);
            Assert.Equal(d.Kpis.RevenueCents, trusty.Kpis.RevenueCents + second.Kpis.RevenueCents);
            // The demo's nudges are a planted experiment: each is older than the attribution window (7 days), so its
            // outcome is complete; a range must reach further back to hold some (issue 19).
            if (fromDaysAgo <= -14) Assert.Contains(d.Table("nudges").Rows, r => r[0] == "All nudges" && r[1] != "0");
        }
        await AssertAgreeAsync(range);
    }

    [Fact]
    public async Task New_events_reach_the_rollups_through_incremental_refresh_only()
    {
        var today = new DateRange(HappiTrackFactory.Today, HappiTrackFactory.Today);
        await _factory.WithDbAsync(async db =>
        {
            var visitor = new Visitor { Id = "late-visitor", FirstSeenAt = _factory.Clock.GetUtcNow().UtcDateTime, LastSeenAt = _factory.Clock.GetUtcNow().UtcDateTime };
            db.Visitors.Add(visitor);
            db.Events.Add(new TrackEvent { VisitorId = visitor.Id, Type = EventTypes.PageView, OccurredAt = visitor.FirstSeenAt, Path = "/" });
            db.Events.Add(new TrackEvent { VisitorId = visitor.Id, Type = EventTypes.Mouse, OccurredAt = visitor.FirstSeenAt, Path = "/", Data = "{\"cells\":[5,5]}" });
            await db.SaveChangesAsync();
        });

        await using (var scope = _factory.Services.CreateAsyncScope())
        {
            var dashboard = scope.ServiceProvider.GetRequiredService<AnalyticsDashboard>();
            var stale = await dashboard.BuildAsync(today, AnalyticsSource.Rollup);
            var live = await dashboard.BuildAsync(today, AnalyticsSource.Raw);
            Assert.Equal(live.Kpis.Visitors - 1, stale.Kpis.Visitors);

            var rebuilt = await scope.ServiceProvider.GetRequiredService<RollupService>().RefreshChangedDaysAsync();
            Assert.Equal(1, rebuilt);
            Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<RollupService>().RefreshChangedDaysAsync());
        }
        await AssertAgreeAsync(today);
        await AssertAgreeAsync(new DateRange(AnalyticsTestData.Day(-19), HappiTrackFactory.Today));
    }

    [Fact]
    public async Task After_the_upgrade_the_first_run_rebuilds_every_day_that_still_has_its_raw_events_per_site()
    {
        // What the migration leaves: roll-ups from before sites (here: none at all, so a day not rebuilt is visibly
        // empty), the flag down, and a watermark with nothing new above it.
        await _factory.WithDbAsync(async db =>
        {
            await db.Set<VisitorDayFact>().ExecuteDeleteAsync();
            await db.Set<ProductDayStat>().ExecuteDeleteAsync();
            await db.Set<CartAddDay>().ExecuteDeleteAsync();
            await db.Set<HeatmapDay>().ExecuteDeleteAsync();
            var state = await db.Set<RollupState>().SingleAsync();
            state.RolledUpPerSite = false;
            state.LastEventId = await db.Events.MaxAsync(e => e.Id);
            await db.SaveChangesAsync();
        });
        var oldestDay = await _factory.WithDbAsync(async db =>
            _factory.Services.GetRequiredService<ShopCalendar>().DayOf(await db.Events.MinAsync(e => e.OccurredAt)));

        await using (var scope = _factory.Services.CreateAsyncScope())
            Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<RollupService>().RefreshChangedDaysAsync());

        await _factory.WithDbAsync(async db =>
        {
            Assert.True((await db.Set<RollupState>().SingleAsync()).RolledUpPerSite);
            // The oldest day may have lost raw events to retention: it keeps the rows it had (none here).
            Assert.False(await db.Set<VisitorDayFact>().AnyAsync(f => f.Day <= oldestDay));
            Assert.True(await db.Set<VisitorDayFact>().AnyAsync(f => f.SiteId == _second));
        });
        await AssertAgreeAsync(new DateRange(oldestDay.AddDays(1), HappiTrackFactory.Today));
    }
}
