using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Admin;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Analytics;

/// <summary>On a generated history of a few thousand events, every table from the roll-ups equals the raw one.</summary>
public sealed class RollupAgreementTests : IAsyncLifetime
{
    // The demo data generator writes SQLite files only, so this comparison runs on SQLite in both suite passes.
    private readonly AdminFactory _factory = new(HappiTrackFactory.NewDatabasePath(), provider: DatabaseProvider.Sqlite);

    public async Task InitializeAsync()
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DemoDataGenerator>().RunAsync(
            new DemoDataOptions(Events: 4000, Visitors: 300, Contacts: 40, Orders: 40, Days: 20, Seed: 7), TextWriter.Null);
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task AssertAgreeAsync(DateRange range)
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        var dashboard = scope.ServiceProvider.GetRequiredService<AnalyticsDashboard>();
        var rollup = await dashboard.BuildAsync(range, AnalyticsSource.Rollup, tagKind: "all");
        var raw = await dashboard.BuildAsync(range, AnalyticsSource.Raw, tagKind: "all");
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
}
