using System.Net;
using System.Text.Json;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Tests.Admin;
using Microsoft.Extensions.DependencyInjection;

using static HappiTrack.Web.Tests.Analytics.AnalyticsTestData;

namespace HappiTrack.Web.Tests.Analytics;

/// <summary>The /analytics page and its CSV exports over HTTP, on the hand-built history.</summary>
public sealed class AnalyticsPageTests : IAsyncLifetime
{
    private readonly AdminFactory _factory = AnalyticsTestData.NewFactory();
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        await _factory.WithDbAsync(AnalyticsTestData.SeedAsync);
        await using (var scope = _factory.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<RollupService>().RefreshChangedDaysAsync();
        _client = await AnalyticsTestData.AnalystClientAsync(_factory);
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    /// <summary>Replaces each <c>{n}</c> with the date n days from the test clock's today, so queries read like the history.</summary>
    private static string Dated(string text) =>
        System.Text.RegularExpressions.Regex.Replace(text, @"\{(-?\d+)\}", m => Iso(int.Parse(m.Groups[1].Value)));

    private async Task<AngleSharp.Html.Dom.IHtmlDocument> PageAsync(string query)
    {
        var response = await _client.GetAsync("/analytics" + Dated(query));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_page_shows_the_kpis_and_embeds_chart_data_as_json_blocks_only()
    {
        var page = await PageAsync("?from={-4}&to={0}");

        Assert.Equal("5", page.QuerySelector("[data-kpi=visitors]")!.TextContent);
        Assert.Equal("2", page.QuerySelector("[data-kpi=contacts]")!.TextContent);
        Assert.Equal("40.0 %", page.QuerySelector("[data-kpi=buyer-rate]")!.TextContent);
        Assert.Equal("€1,228.00", page.QuerySelector("[data-kpi=revenue]")!.TextContent);
        Assert.Equal("€614.00", page.QuerySelector("[data-kpi=aov]")!.TextContent);
        Assert.Null(page.QuerySelector("[role=alert]"));

        // CSP script-src 'self': every script is either an external file or an inert JSON data block.
        Assert.All(page.QuerySelectorAll("script"), s =>
            Assert.True(s.HasAttribute("src") || s.GetAttribute("type") == "application/json", s.OuterHtml[..Math.Min(80, s.OuterHtml.Length)]));
        Assert.Contains(page.QuerySelectorAll("script[src]"), s => s.GetAttribute("src")!.StartsWith("/lib/chart.js/chart.umd.min.js"));
        Assert.Empty(page.QuerySelectorAll("[style], [onclick], [onchange]"));

        foreach (var id in new[] { "funnel", "abandonment", "cart-outcomes", "tag-trends", "top-products", "nudges" })
        {
            Assert.NotNull(page.GetElementById("chart-" + id));
            using var json = JsonDocument.Parse(page.GetElementById("data-" + id)!.TextContent);
            Assert.Equal(id, json.RootElement.GetProperty("id").GetString());
        }
        using var funnel = JsonDocument.Parse(page.GetElementById("data-funnel")!.TextContent);
        Assert.Equal([5, 3, 2, 1, 1], funnel.RootElement.GetProperty("datasets")[0].GetProperty("data").EnumerateArray().Select(e => e.GetInt32()));
        using var heat = JsonDocument.Parse(page.GetElementById("data-heatmap")!.TextContent);
        Assert.Equal(3, heat.RootElement.GetProperty("counts")[41].GetInt32());
    }

    [Theory]
    [InlineData("?from=yesterday&to={0}", "start date")]
    [InlineData("?from={0}&to=2026-13-01", "end date")]
    [InlineData("?from={0}&to={-4}", "is after the end date")]
    [InlineData("?from={-692}&to={0}", "at most 366 days")]
    [InlineData("?from={-4}", "end date")]
    [InlineData("?preset=forever", "Unknown range preset")]
    [InlineData("?from=%3Cscript%3E&to=x", "start date")]
    public async Task Bad_dates_show_a_clear_message_and_the_default_range(string query, string message)
    {
        var page = await PageAsync(query);
        var alert = page.QuerySelector("[role=alert]");
        Assert.NotNull(alert);
        Assert.Contains(message, alert.TextContent);
        Assert.Contains(Iso(-29), page.GetElementById("range-showing")!.TextContent); // the last 30 days
    }

    [Fact]
    public async Task A_future_range_says_so_and_shows_zeros()
    {
        var page = await PageAsync("?from={7}&to={37}");
        Assert.Contains("entirely in the future", page.QuerySelector("[role=status]")!.TextContent);
        Assert.Null(page.QuerySelector("[role=alert]"));
        Assert.Equal("0", page.QuerySelector("[data-kpi=visitors]")!.TextContent);
        Assert.Equal("–", page.QuerySelector("[data-kpi=buyer-rate]")!.TextContent);
    }

    [Fact]
    public async Task Presets_count_back_from_today_in_the_shop_time_zone()
    {
        var today = await PageAsync("?preset=today");
        Assert.Equal("1", today.QuerySelector("[data-kpi=visitors]")!.TextContent); // only E acted today
        var week = await PageAsync("?preset=7d");
        Assert.Equal("5", week.QuerySelector("[data-kpi=visitors]")!.TextContent);
        Assert.Contains(Iso(-6), week.GetElementById("range-showing")!.TextContent);
    }

    [Theory]
    [InlineData("kpis")]
    [InlineData("funnel")]
    [InlineData("abandonment")]
    [InlineData("cart-outcomes")]
    [InlineData("tag-trends")]
    [InlineData("top-products")]
    [InlineData("heatmap")]
    [InlineData("nudges")]
    [InlineData("nudge-campaigns")]
    public async Task Each_csv_export_matches_its_table_on_the_page(string id)
    {
        var query = "?from={-4}&to={0}&source=raw";
        var page = await PageAsync(query);
        var table = page.GetElementById("table-" + id)!;
        var htmlRows = table.QuerySelectorAll("tr").Select(tr => tr.Children.Select(c => c.TextContent).ToList()).ToList();
        var link = page.QuerySelector($"[data-table={id}] a.an-csv")!.GetAttribute("href")!;

        var response = await _client.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var csvRows = ParseCsv(await response.Content.ReadAsStringAsync());

        Assert.Equal(htmlRows, csvRows);
        Assert.True(csvRows.Count > 1);
    }

    [Fact]
    public async Task The_nudge_csv_and_chart_data_carry_the_delivered_and_read_steps()
    {
        var response = await _client.GetAsync(Dated("/analytics/export/nudges.csv?from={-4}&to={0}"));
        var csv = ParseCsv(await response.Content.ReadAsStringAsync());
        Assert.Equal(["Nudges", "Queued", "Sent", "Delivered", "Read", "Clicked", "Converted", "Attributed revenue (€)", "Messages per conversion"], csv[0]);
        Assert.Equal(["All nudges", "5", "4", "4", "3", "2", "1", "129.00", "4.0"], csv.Single(r => r[0] == "All nudges"));

        var page = await PageAsync("?from={-4}&to={0}");
        using var chart = System.Text.Json.JsonDocument.Parse(page.GetElementById("data-nudges")!.TextContent);
        Assert.Equal(["Queued", "Sent", "Delivered", "Read", "Clicked", "Converted"],
            chart.RootElement.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        var campaign = chart.RootElement.GetProperty("datasets").EnumerateArray().Single(s => s.GetProperty("label").GetString() == "Campaign");
        Assert.Equal([2.0, 1, 1, 1, 1, 0], campaign.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()));
    }

    [Fact]
    public async Task Csv_export_with_bad_dates_is_a_problem_naming_the_field()
    {
        var response = await _client.GetAsync("/analytics/export/funnel.csv?from=2026-11-30&to=2026-11-01");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("from", out _));

        var unknown = await _client.GetAsync("/analytics/export/nope.csv?preset=7d");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Anonymous_visitors_get_neither_the_page_nor_the_exports()
    {
        var anonymous = _factory.NewClient();
        var page = await anonymous.GetAsync("/analytics");
        Assert.True(page.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Redirect, page.StatusCode.ToString());
        var csv = await anonymous.GetAsync("/analytics/export/kpis.csv");
        Assert.True(csv.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Redirect, csv.StatusCode.ToString());
    }

    [Fact]
    public void The_rollup_refresh_is_a_recurring_job_with_a_constant_id()
    {
        using var connection = _factory.Services.GetRequiredService<Hangfire.JobStorage>().GetConnection();
        var job = Hangfire.Storage.StorageConnectionExtensions.GetRecurringJobs(connection).Single(j => j.Id == RollupService.RecurringJobId);
        Assert.Equal(typeof(AnalyticsJobs), job.Job.Type);
        Assert.Equal(nameof(AnalyticsJobs.RefreshRollups), job.Job.Method.Name);
    }

    /// <summary>RFC 4180 reader for the test: quoted cells, doubled quotes, CRLF rows.</summary>
    internal static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var cell = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(cell.ToString()); cell.Clear(); }
            else if (c == '\r') { }
            else if (c == '\n') { row.Add(cell.ToString()); cell.Clear(); rows.Add(row); row = []; }
            else cell.Append(c);
        }
        if (cell.Length > 0 || row.Count > 0) { row.Add(cell.ToString()); rows.Add(row); }
        return rows;
    }
}
