using System.Globalization;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace HappiTrack.Web.Tests.Lift;

/// <summary>
/// <c>seed-demo</c> plants known effects (<see cref="DemoDataGenerator.PlantedEffects"/>); the lift section must recover
/// each within its 95 % interval and call the large one (cart rescue, +6 points) a real lift. SQLite only: the generator
/// writes SQLite files only. The experiment's draws have their own seed, so the outcome does not depend on the date.
/// </summary>
public sealed class DemoLiftTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly AdminFactory _factory = new(HappiTrackFactory.NewDatabasePath(), provider: DatabaseProvider.Sqlite);

    public async Task InitializeAsync()
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DemoDataGenerator>().RunAsync(
            new DemoDataOptions(Events: 20_000, Visitors: 6_000, Contacts: 5_000, Orders: 300, Days: 90, Seed: 42), TextWriter.Null);
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task The_lift_section_recovers_the_planted_effects_within_their_intervals()
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        var today = HappiTrackFactory.Today;
        var data = await scope.ServiceProvider.GetRequiredService<AnalyticsDashboard>().BuildAsync(new DateRange(today.AddDays(-89), today), AnalyticsSource.Rollup);
        var lift = data.Table(LiftSection.TableId);
        output.WriteLine(string.Join(" | ", lift.Columns));
        foreach (var row in lift.Rows) output.WriteLine(string.Join(" | ", row));

        double Value(IReadOnlyList<string> row, string column) => double.Parse(row[lift.Columns.ToList().IndexOf(column)], CultureInfo.InvariantCulture);
        foreach (var (kind, label) in LiftSection.Rules)
        {
            var row = lift.Rows.Single(r => r[0] == label);
            var planted = DemoDataGenerator.PlantedEffects[kind].Lift * 100;
            Assert.True(Value(row, "Held-out contacts") >= 30, $"{label}: a held-out arm to measure");
            Assert.InRange(planted, Value(row, "Lift 95% CI low (points)"), Value(row, "Lift 95% CI high (points)"));
        }
        var rescue = lift.Rows.Single(r => r[0] == "Cart rescue");
        Assert.Equal("Adds conversions", rescue[^1]);
        var interest = lift.Rows.Single(r => r[0] == "Interest discount");
        Assert.StartsWith("Too small to tell", interest[^1]);
    }
}
