using System.Net;
using System.Text.Json;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Tests.Admin;
using Microsoft.Extensions.DependencyInjection;

using static HappiTrack.Web.Tests.Analytics.AnalyticsTestData;

namespace HappiTrack.Web.Tests.Analytics;

/// <summary>Issue 17 item 11: empty charts say so, the abandonment chart names its groupings, and "Lost" is not green.</summary>
public sealed class AnalyticsChartsPresentationTests : IAsyncLifetime
{
    private readonly AdminFactory _factory = NewFactory();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task<AngleSharp.Html.Dom.IHtmlDocument> PageAsync(string query)
    {
        var client = await AnalystClientAsync(_factory);
        var response = await client.GetAsync("/analytics" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task With_no_data_every_chart_says_no_data_yet_and_how_to_get_some_instead_of_a_blank_grid()
    {
        var page = await PageAsync("");

        foreach (var id in new[] { "funnel", "abandonment", "cart-outcomes", "top-products" })
        {
            Assert.Null(page.GetElementById("chart-" + id));
            Assert.Null(page.GetElementById("data-" + id));
            var empty = page.QuerySelector($"[data-chart-empty='{id}']")!;
            Assert.Contains("No data yet", empty.TextContent);
            Assert.Contains("dotnet run --project HappiTrack.Web -- seed-demo", empty.TextContent);
        }
    }

    [Fact]
    public async Task With_data_the_abandonment_chart_has_one_series_per_grouping_and_lost_carts_are_red()
    {
        await _factory.WithDbAsync(SeedAsync);
        await using (var scope = _factory.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<RollupService>().RefreshChangedDaysAsync();

        var page = await PageAsync($"?from={Iso(-4)}&to={Iso(0)}");

        Assert.Null(page.QuerySelector("[data-chart-empty='abandonment']"));
        using var abandonment = JsonDocument.Parse(page.GetElementById("data-abandonment")!.TextContent);
        var root = abandonment.RootElement;
        Assert.True(root.GetProperty("stacked").GetBoolean());
        var groups = root.GetProperty("datasets").EnumerateArray().Select(d => d.GetProperty("label").GetString()!).ToList();
        Assert.Contains("All carts", groups);
        Assert.Contains("Cart value", groups);
        Assert.Contains("Customer", groups);
        Assert.Equal(groups.Count, groups.Distinct().Count());
        // Every bar belongs to exactly one grouping: at most one series is non-zero per label.
        var labels = root.GetProperty("labels").GetArrayLength();
        var series = root.GetProperty("datasets").EnumerateArray().Select(d => d.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToList()).ToList();
        Assert.All(series, s => Assert.Equal(labels, s.Count));
        for (var i = 0; i < labels; i++) Assert.True(series.Count(s => s[i] != 0) <= 1, $"bar {i} is in two groupings");

        using var outcomes = JsonDocument.Parse(page.GetElementById("data-cart-outcomes")!.TextContent);
        var outcomeLabels = outcomes.RootElement.GetProperty("labels").EnumerateArray().Select(l => l.GetString()).ToList();
        var colors = outcomes.RootElement.GetProperty("colors").EnumerateArray().Select(c => c.GetString()).ToList();
        Assert.Equal("#dc2626", colors[outcomeLabels.IndexOf("Lost")]);
    }
}
