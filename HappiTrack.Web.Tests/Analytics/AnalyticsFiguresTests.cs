using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Tests.Admin;
using Microsoft.Extensions.DependencyInjection;

using static HappiTrack.Web.Tests.Analytics.AnalyticsTestData;

namespace HappiTrack.Web.Tests.Analytics;

/// <summary>Every KPI, funnel step and section on the hand-built history, from roll-ups and from raw events alike.</summary>
public sealed class AnalyticsFiguresTests : IAsyncLifetime
{
    private readonly AdminFactory _factory = AnalyticsTestData.NewFactory();

    public async Task InitializeAsync()
    {
        await _factory.WithDbAsync(AnalyticsTestData.SeedAsync);
        await using var scope = _factory.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RollupService>().RefreshChangedDaysAsync();
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task<Dashboard> BuildAsync(DateOnly from, DateOnly to, AnalyticsSource source)
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AnalyticsDashboard>().BuildAsync(new DateRange(from, to), source);
    }

    [Theory]
    [InlineData(AnalyticsSource.Rollup)]
    [InlineData(AnalyticsSource.Raw)]
    public async Task Kpis_match_the_hand_counted_figures(AnalyticsSource source)
    {
        var d = await BuildAsync(AnalyticsTestData.From, AnalyticsTestData.To, source);

        Assert.Equal(5, d.Kpis.Visitors);            // A, B, C, D, E (F is outside the range)
        Assert.Equal(2, d.Kpis.LinkedContacts);      // A -> Vera, B -> Ben
        Assert.Equal(2, d.Kpis.Buyers);              // A, E
        Assert.Equal(0.4, d.Kpis.BuyerRate);         // 2 / 5
        Assert.Equal(2, d.Kpis.Orders);
        Assert.Equal(122800, d.Kpis.RevenueCents);   // 1,099.00 + 129.00
        Assert.Equal(61400, d.Kpis.AverageOrderCents);
        Assert.Equal(3, d.Kpis.Carts);               // A, B, E added to cart
        Assert.Equal(1, d.Kpis.AbandonedCarts);      // B
        Assert.Equal(1.0 / 3, d.Kpis.AbandonmentRate);
        Assert.Equal(
            [["Visitors", "5"], ["Linked contacts", "2"], ["Buyers", "2"], ["Buyer rate (%)", "40.0"], ["Orders", "2"],
             ["Revenue (€)", "1228.00"], ["Average order value (€)", "614.00"], ["Cart abandonment rate (%)", "33.3"]],
            Rows(d.Table("kpis")));
    }

    [Theory]
    [InlineData(AnalyticsSource.Rollup)]
    [InlineData(AnalyticsSource.Raw)]
    public async Task Funnel_counts_visitors_who_reached_each_step_and_the_ones_before(AnalyticsSource source)
    {
        var d = await BuildAsync(AnalyticsTestData.From, AnalyticsTestData.To, source);

        // E bought without a product view, so it stops at the visit step; B added but never checked out.
        Assert.Equal(
            [["Visit", "5", "", "100.0"], ["Product view", "3", "60.0", "60.0"], ["Add to cart", "2", "66.7", "40.0"],
             ["Checkout", "1", "50.0", "20.0"], ["Purchase", "1", "100.0", "20.0"]],
            Rows(d.Table("funnel")));
        Assert.Equal([5.0, 3, 2, 1, 1], d.Charts.Single(c => c.Id == "funnel").Datasets[0].Data);
    }

    [Theory]
    [InlineData(AnalyticsSource.Rollup)]
    [InlineData(AnalyticsSource.Raw)]
    public async Task Products_tags_and_heatmap_match_the_hand_counted_figures(AnalyticsSource source)
    {
        var d = await BuildAsync(AnalyticsTestData.From, AnalyticsTestData.To, source);

        // Scores: JBL 1 view (5) + 2 adds (100) + 1 purchase (30); LOQ 5 + 50 + 30; MacBook view 5 + linger 15.
        Assert.Equal(
            [["JBL Flip 6 (Pink)", "1", "0", "2", "1", "135"],
             ["Lenovo LOQ 15 Gaming Laptop", "1", "0", "1", "1", "85"],
             ["MacBook Air 13\" M3", "1", "1", "0", "0", "20"]],
            Rows(d.Table("top-products")));

        Assert.Equal(["Day", "Pastel", "Gaming", "Minimal"], d.Table("tag-trends").Columns);
        Assert.Equal(
            [[Iso(-4), "0", "1", "0"], [Iso(-3), "0", "2", "0"], [Iso(-2), "2", "0", "0"],
             [Iso(-1), "0", "0", "2"], [Iso(0), "2", "0", "0"]],
            Rows(d.Table("tag-trends")));

        Assert.Equal("/", d.Heatmap.Path);
        Assert.Equal(2, d.Heatmap.Samples);
        Assert.Equal(3, d.Heatmap.Counts[2 * 20 + 1]);
        Assert.Equal(1, d.Heatmap.Counts[4 * 20 + 3]);
        Assert.Equal(4, d.Heatmap.Counts.Sum());
        Assert.Equal("3", d.Table("heatmap").Rows[2][2]); // row 3, column 2
    }

    [Fact]
    public async Task Abandonment_segments_split_carts_by_tag_value_and_vip()
    {
        var d = await BuildAsync(AnalyticsTestData.From, AnalyticsTestData.To, AnalyticsSource.Rollup);
        var rows = Rows(d.Table("abandonment")).ToDictionary(r => r[0] + "/" + r[1], r => r[2..]);

        Assert.Equal(["3", "1", "33.3"], rows["All carts/All"]);
        Assert.Equal(["2", "1", "50.0"], rows["Tag (aesthetic)/Pastel"]);   // B, E
        Assert.Equal(["1", "0", "0.0"], rows["Tag (aesthetic)/Gaming"]);    // A
        Assert.False(rows.ContainsKey("Tag (aesthetic)/Minimal"));          // C never added to cart
        Assert.Equal(["2", "1", "50.0"], rows["Cart value/Under €200"]);
        Assert.Equal(["0", "0", ""], rows["Cart value/€200–600"]);
        Assert.Equal(["1", "0", "0.0"], rows["Cart value/€1,000 and more"]);
        Assert.Equal(["1", "0", "0.0"], rows["Customer/VIP"]);
        Assert.Equal(["2", "1", "50.0"], rows["Customer/Not VIP"]);

        Assert.Equal(
            [["Bought without a nudge", "1", "33.3"], ["Rescued by a nudge", "1", "33.3"], ["Lost", "1", "33.3"]],
            Rows(d.Table("cart-outcomes")));
    }

    [Fact]
    public async Task Nudge_effectiveness_follows_each_kind_from_queued_through_read_to_conversions_and_compares_with_a_blast()
    {
        var d = await BuildAsync(AnalyticsTestData.From, AnalyticsTestData.To, AnalyticsSource.Rollup);

        Assert.Equal(
            ["Nudges", "Queued", "Sent", "Delivered", "Read", "Clicked", "Converted", "Attributed revenue (€)", "Messages per conversion"],
            d.Table("nudges").Columns);
        Assert.Equal(
            [["Interest discount", "1", "1", "1", "0", "0", "0", "0.00", ""],       // n2: delivered, never read
             ["Cart rescue", "1", "1", "1", "1", "1", "1", "129.00", "1.0"],      // n1 (the rescue n4 before the range is not counted)
             ["VIP upgrade", "1", "1", "1", "1", "0", "0", "0.00", ""],          // n5: a read receipt alone means delivered too
             ["Campaign", "2", "1", "1", "1", "1", "0", "0.00", ""],             // n3 suppressed, n6 read and clicked
             ["All nudges", "5", "4", "4", "3", "2", "1", "129.00", "4.0"],
             ["Blast to every contact (estimate)", "2", "2", "", "", "", "1", "1099.00", "2.0"]], // 2 opted-in contacts, Vera bought
            Rows(d.Table("nudges")));
        Assert.Equal([["Campaign #7", "2", "1", "1", "1", "1", "0", "0.00", ""]], Rows(d.Table("nudge-campaigns")));

        var chart = d.Charts.Single(c => c.Id == "nudges");
        Assert.Equal(["Queued", "Sent", "Delivered", "Read", "Clicked", "Converted"], chart.Labels);
        Assert.Equal(["Interest discount", "Cart rescue", "VIP upgrade", "Campaign"], chart.Datasets.Select(s => s.Label));
        Assert.Equal([1.0, 1, 1, 0, 0, 0], chart.Datasets[0].Data);
        Assert.Equal([1.0, 1, 1, 1, 1, 1], chart.Datasets[1].Data);
        Assert.Equal([1.0, 1, 1, 1, 0, 0], chart.Datasets[2].Data);
        Assert.Equal([2.0, 1, 1, 1, 1, 0], chart.Datasets[3].Data);
    }

    [Theory]
    [InlineData(AnalyticsSource.Rollup)]
    [InlineData(AnalyticsSource.Raw)]
    public async Task A_range_outside_the_history_is_all_zeros(AnalyticsSource source)
    {
        var empty = await BuildAsync(Day(-9), Day(-9), source);
        Assert.Equal(new KpiSummary(0, 0, 0, null, 0, 0, null, 0, 0, null), empty.Kpis);
        Assert.Equal("", empty.Table("kpis").Rows[3][1]);
        Assert.Empty(empty.Table("top-products").Rows);
        Assert.Null(empty.Heatmap.Path);
        Assert.All(empty.Table("funnel").Rows, r => Assert.Equal("0", r[1]));

        var future = await BuildAsync(Day(7), Day(13), source);
        Assert.Equal(0, future.Kpis.Visitors);
        Assert.Equal(7, future.Table("tag-trends").Rows.Count);
    }

    [Fact]
    public async Task The_older_range_sees_only_its_own_visitor_and_order()
    {
        var d = await BuildAsync(Day(-14), Day(-14), AnalyticsSource.Rollup);
        Assert.Equal((1, 1, 1, 34900L), (d.Kpis.Visitors, d.Kpis.Orders, d.Kpis.Buyers, d.Kpis.RevenueCents));
    }

    private static List<List<string>> Rows(AnalyticsTable table) => table.Rows.Select(r => r.ToList()).ToList();
}
