using System.Diagnostics;
using System.Globalization;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Tracking;

namespace HappiTrack.Web.Features.Analytics;

/// <summary>A chart's numbers as the page's table and the CSV export show them: one source for both.</summary>
public sealed record AnalyticsTable(string Id, string Title, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows);

/// <summary>What analytics.js draws: Chart.js type, labels and datasets (or a heatmap grid).</summary>
public sealed record ChartSpec(string Id, string Type, IReadOnlyList<string> Labels, IReadOnlyList<ChartSeries> Datasets,
    bool Horizontal = false, bool Percent = false, bool Stacked = false, IReadOnlyList<string>? Colors = null)
{
    /// <summary>Nothing to draw: an empty chart would be a bare grid that reads as "zero" rather than "no data".</summary>
    public bool IsEmpty => Labels.Count == 0 || Datasets.All(d => d.Data.All(v => v == 0));
}

public sealed record ChartSeries(string Label, IReadOnlyList<double> Data);

public sealed record KpiSummary(int Visitors, int LinkedContacts, int Buyers, double? BuyerRate, int Orders,
    long RevenueCents, long? AverageOrderCents, int Carts, int AbandonedCarts, double? AbandonmentRate);

/// <param name="Site">The site the figures are of; null for every site together.</param>
public sealed record Dashboard(
    DateRange Range, AnalyticsSource Source, KpiSummary Kpis, FunnelCounts Funnel, HeatmapData Heatmap, string TagKind,
    IReadOnlyList<AnalyticsTable> Tables, IReadOnlyList<ChartSpec> Charts, DateTime? RollupsRefreshedAt,
    IReadOnlyList<(string Name, double Milliseconds)> Timings, int? Site = null)
{
    /// <summary>Per-query durations as a <c>Server-Timing</c> header value, for the benchmark and browser dev tools.</summary>
    public string ServerTiming => string.Join(", ", Timings.Select(t =>
        $"{t.Name};dur={t.Milliseconds.ToString("0.0", CultureInfo.InvariantCulture)}"));

    public AnalyticsTable Table(string id) => Tables.Single(t => t.Id == id);
}

/// <summary>Assembles every section of <c>/analytics</c> for one range; the CSV export reuses the same tables.</summary>
public sealed class AnalyticsDashboard(AnalyticsQueries queries, RollupService rollups, IServiceScopeFactory scopes)
{
    public static readonly IReadOnlyList<string> TagKinds = ["aesthetic", "all", "brand", "category", "price"];

    /// <summary>Product events that express interest (a removal does not), as in SPEC §4.</summary>
    public static readonly IReadOnlyList<string> InterestTypes =
        [EventTypes.ProductView, EventTypes.LingerSpecs, EventTypes.Click, EventTypes.AddToCart, EventTypes.Purchase];

    /// <summary>SPEC §4 default weights: the "desire score" ranks products the way scoring ranks them for a contact.</summary>
    private static readonly IReadOnlyDictionary<string, int> DesireWeights = new Dictionary<string, int>
    {
        [EventTypes.ProductView] = 5, [EventTypes.LingerSpecs] = 15, [EventTypes.Click] = 2,
        [EventTypes.AddToCart] = 50, [EventTypes.Purchase] = 30,
    };

    public static readonly IReadOnlyList<(string Label, long MinCents, long MaxCents)> CartValueBands =
    [
        ("Under €200", 0, 20000), ("€200–600", 20000, 60000), ("€600–1,000", 60000, 100000), ("€1,000 and more", 100000, long.MaxValue),
    ];

    public async Task<Dashboard> BuildAsync(DateRange range, AnalyticsSource source, string? heatmapPath = null,
        string? tagKind = null, CancellationToken ct = default, int? site = null)
    {
        tagKind = TagKinds.Contains(tagKind ?? "") ? tagKind! : TagKinds[0];
        var timings = new List<(string, double)>();
        async Task<T> Timed<T>(string name, Func<Task<T>> query)
        {
            var started = Stopwatch.GetTimestamp();
            var result = await query();
            lock (timings) timings.Add((name, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
            return result;
        }
        // The funnel (the heaviest query) and the product stats run on a second connection (their own scope) while
        // this one reads the rest: the branches share no state and cost about the same, so on two cores the page
        // waits for the longer of them, not their sum.
        var sideTask = Task.Run(async () =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var own = scope.ServiceProvider.GetRequiredService<AnalyticsQueries>();
            await using var ownConnection = await own.HoldConnectionAsync(ct);
            var funnelCounts = await Timed("funnel", () => own.FunnelAsync(range, source, ct, site));
            var stats = await Timed("products", () => own.ProductStatsAsync(range, source, ct, site));
            return (funnelCounts, stats);
        }, ct);
        await using var connection = await queries.HoldConnectionAsync(ct);
        var orders = await Timed("orders", () => queries.OrdersAsync(range, ct, site));
        var catalog = await Timed("catalog", () => queries.CatalogAsync(ct, site));
        var carts = await Timed("carts", () => queries.CartsAsync(range, source, ct, site));
        var heatmap = await Timed("heatmap", () => queries.HeatmapAsync(range, heatmapPath, source, ct, site));
        var nudges = await Timed("nudges", () => queries.NudgesAsync(range, ct, site));
        var blast = await Timed("blast", () => queries.BlastBaselineAsync(range, ct, site));
        var lift = await Timed("lift", () => queries.LiftAsync(range, ct, site));
        var refreshedAt = await rollups.LastRefreshedAtAsync(ct);
        var (funnel, productStats) = await sideTask;
        var sectionsStarted = Stopwatch.GetTimestamp();

        var kpis = new KpiSummary(funnel.Visitors, funnel.LinkedContacts, orders.Buyers, Ratio(orders.Buyers, funnel.Visitors),
            orders.Orders, orders.RevenueCents, orders.Orders == 0 ? null : orders.RevenueCents / orders.Orders,
            funnel.Carts, funnel.AbandonedCarts, Ratio(funnel.AbandonedCarts, funnel.Carts));

        var tables = new List<AnalyticsTable>();
        var charts = new List<ChartSpec>();
        tables.Add(KpiTable(kpis));
        Add(tables, charts, FunnelSection(funnel));
        Add(tables, charts, AbandonmentSection(carts, catalog));
        Add(tables, charts, OutcomeSection(carts));
        Add(tables, charts, TagTrendSection(range, productStats, catalog, tagKind));
        Add(tables, charts, TopProductsSection(productStats, catalog));
        tables.Add(HeatmapTable(heatmap));
        Add(tables, charts, NudgeSection(nudges, blast));
        tables.Add(CampaignTable(nudges));
        tables.Add(LiftTable(lift, queries.AttributionWindow));
        // The in-memory part (segments, trends, tables) as its own Server-Timing entry, next to each query's.
        timings.Add(("sections", Stopwatch.GetElapsedTime(sectionsStarted).TotalMilliseconds));
        return new Dashboard(range, source, kpis, funnel, heatmap, tagKind, tables, charts, refreshedAt, timings, site);
    }

    private static void Add(List<AnalyticsTable> tables, List<ChartSpec> charts, (AnalyticsTable Table, ChartSpec Chart) section)
    {
        tables.Add(section.Table);
        charts.Add(section.Chart);
    }

    private static AnalyticsTable KpiTable(KpiSummary k) => new("kpis", "Key figures", ["Metric", "Value"],
    [
        ["Visitors", Count(k.Visitors)],
        ["Linked contacts", Count(k.LinkedContacts)],
        ["Buyers", Count(k.Buyers)],
        ["Buyer rate (%)", Percent(k.BuyerRate)],
        ["Orders", Count(k.Orders)],
        ["Revenue (€)", Money(k.RevenueCents)],
        ["Average order value (€)", k.AverageOrderCents is { } aov ? Money(aov) : ""],
        ["Cart abandonment rate (%)", Percent(k.AbandonmentRate)],
    ]);

    private static (AnalyticsTable, ChartSpec) FunnelSection(FunnelCounts f)
    {
        (string Step, int Visitors)[] steps =
        [
            ("Visit", f.Visitors), ("Product view", f.ProductViewers), ("Add to cart", f.CartAdders),
            ("Checkout", f.CheckoutStarters), ("Purchase", f.Purchasers),
        ];
        var rows = steps.Select((s, i) => (IReadOnlyList<string>)
        [
            s.Step, Count(s.Visitors),
            i == 0 ? "" : Percent(Ratio(s.Visitors, steps[i - 1].Visitors)),
            Percent(Ratio(s.Visitors, f.Visitors)),
        ]).ToList();
        var table = new AnalyticsTable("funnel", "Conversion funnel",
            ["Step", "Visitors", "From previous step (%)", "From visit (%)"], rows);
        var chart = new ChartSpec("funnel", "bar", steps.Select(s => s.Step).ToList(),
            [new ChartSeries("Visitors", steps.Select(s => (double)s.Visitors).ToList())]);
        return (table, chart);
    }

    /// <summary>
    /// One pass over the carts: each cart's tags and value are worked out once and counted into every
    /// segment it belongs to (a cart counts once per tag however many of its products carry the tag).
    /// </summary>
    private static (AnalyticsTable, ChartSpec) AbandonmentSection(IReadOnlyList<CartFact> carts, IReadOnlyDictionary<int, ProductInfo> catalog)
    {
        var perTag = new Dictionary<int, Tally>();
        var perBand = new Tally[CartValueBands.Count];
        Tally all = default, vip = default, notVip = default;
        var cartTags = new HashSet<int>();
        foreach (var cart in carts)
        {
            var abandoned = !cart.Purchased;
            all = all.Add(abandoned);
            if (cart.Vip) vip = vip.Add(abandoned); else notVip = notVip.Add(abandoned);
            var value = CartValue(cart, catalog);
            var band = 0;
            while (value >= CartValueBands[band].MaxCents) band++;
            perBand[band] = perBand[band].Add(abandoned);
            cartTags.Clear();
            foreach (var id in cart.ProductIds)
            {
                if (!catalog.TryGetValue(id, out var product)) continue;
                foreach (var tag in product.Tags) cartTags.Add(tag.Id);
            }
            foreach (var tagId in cartTags) perTag[tagId] = perTag.GetValueOrDefault(tagId).Add(abandoned);
        }

        var rows = new List<IReadOnlyList<string>>();
        void Row(string group, string segment, Tally t) =>
            rows.Add([group, segment, Count(t.Carts), Count(t.Abandoned), Percent(Ratio(t.Abandoned, t.Carts))]);

        Row("All carts", "All", all);
        var tags = catalog.Values.SelectMany(p => p.Tags).DistinctBy(t => t.Id);
        foreach (var tag in tags.OrderBy(t => t.Kind).ThenBy(t => t.Name, StringComparer.Ordinal))
        {
            if (perTag.TryGetValue(tag.Id, out var t) && t.Carts > 0) Row($"Tag ({tag.Kind.ToString().ToLowerInvariant()})", tag.Name, t);
        }
        for (var i = 0; i < CartValueBands.Count; i++) Row("Cart value", CartValueBands[i].Label, perBand[i]);
        Row("Customer", "VIP", vip);
        Row("Customer", "Not VIP", notVip);

        var table = new AnalyticsTable("abandonment", "Cart abandonment by segment",
            ["Group", "Segment", "Carts", "Abandoned", "Abandonment rate (%)"], rows);
        // One series per grouping, stacked: each bar carries only its own group's value, so bars are coloured
        // by grouping and the legend names the groups, instead of 40 look-alike bars from six different cuts.
        var groups = rows.Select(r => r[0]).Distinct().ToList();
        var chart = new ChartSpec("abandonment", "bar",
            rows.Select(r => r[0] == "All carts" ? "All carts" : r[1]).ToList(),
            groups.Select(g => new ChartSeries(g, rows.Select(r => r[0] != g || r[4] == "" ? 0 : double.Parse(r[4], CultureInfo.InvariantCulture)).ToList())).ToList(),
            Horizontal: true, Percent: true, Stacked: true);
        return (table, chart);
    }

    private readonly record struct Tally(int Carts, int Abandoned)
    {
        public Tally Add(bool abandoned) => new(Carts + 1, Abandoned + (abandoned ? 1 : 0));
    }

    /// <summary>The cart's value at catalog prices: each distinct product added once.</summary>
    private static long CartValue(CartFact cart, IReadOnlyDictionary<int, ProductInfo> catalog) =>
        cart.ProductIds.Sum(id => catalog.TryGetValue(id, out var p) ? p.PriceCents : 0);

    private static (AnalyticsTable, ChartSpec) OutcomeSection(IReadOnlyList<CartFact> carts)
    {
        (string Outcome, int Carts)[] outcomes =
        [
            ("Bought without a nudge", carts.Count(c => c.Purchased && !c.Rescued)),
            ("Rescued by a nudge", carts.Count(c => c.Purchased && c.Rescued)),
            ("Lost", carts.Count(c => !c.Purchased)),
        ];
        var table = new AnalyticsTable("cart-outcomes", "Carts: rescued vs lost", ["Outcome", "Carts", "Share (%)"],
            outcomes.Select(o => (IReadOnlyList<string>)[o.Outcome, Count(o.Carts), Percent(Ratio(o.Carts, carts.Count))]).ToList());
        var chart = new ChartSpec("cart-outcomes", "doughnut", outcomes.Select(o => o.Outcome).ToList(),
            [new ChartSeries("Carts", outcomes.Select(o => (double)o.Carts).ToList())],
            // Indigo, green for a rescue, red for a loss: the palette's third colour (green) must not mean "lost".
            Colors: ["#4f46e5", "#059669", "#dc2626"]);
        return (table, chart);
    }

    private static (AnalyticsTable, ChartSpec) TagTrendSection(DateRange range, IReadOnlyList<ProductStatRow> stats,
        IReadOnlyDictionary<int, ProductInfo> catalog, string tagKind)
    {
        var perDayTag = new Dictionary<(DateOnly Day, int TagId), int>();
        var tagTotals = new Dictionary<int, (TagInfo Tag, int Total)>();
        foreach (var s in stats.Where(s => InterestTypes.Contains(s.Type)))
        {
            if (!catalog.TryGetValue(s.ProductId, out var product)) continue;
            foreach (var tag in product.Tags.Where(t => MatchesKind(t, tagKind)))
            {
                perDayTag[(s.Day, tag.Id)] = perDayTag.GetValueOrDefault((s.Day, tag.Id)) + s.Events;
                var total = tagTotals.GetValueOrDefault(tag.Id, (tag, 0));
                tagTotals[tag.Id] = (tag, total.Item2 + s.Events);
            }
        }
        var shown = tagTotals.Values.OrderByDescending(t => t.Total).ThenBy(t => t.Tag.Name, StringComparer.Ordinal)
            .Take(8).Select(t => t.Tag).ToList();
        var days = range.EachDay().ToList();
        var rows = days.Select(d => (IReadOnlyList<string>)
            [d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), .. shown.Select(t => Count(perDayTag.GetValueOrDefault((d, t.Id))))]).ToList();
        var table = new AnalyticsTable("tag-trends", "Interest per tag per day (product interactions)",
            ["Day", .. shown.Select(t => t.Name)], rows);
        var chart = new ChartSpec("tag-trends", "line", days.Select(d => d.ToString("MM-dd", CultureInfo.InvariantCulture)).ToList(),
            shown.Select(t => new ChartSeries(t.Name, days.Select(d => (double)perDayTag.GetValueOrDefault((d, t.Id))).ToList())).ToList());
        return (table, chart);
    }

    private static bool MatchesKind(TagInfo tag, string kind) => kind switch
    {
        "all" => true,
        "brand" => tag.Kind == Catalog.TagKind.Brand,
        "category" => tag.Kind == Catalog.TagKind.Category,
        "price" => tag.Kind == Catalog.TagKind.PriceBand,
        _ => tag.Kind == Catalog.TagKind.Aesthetic,
    };

    private static (AnalyticsTable, ChartSpec) TopProductsSection(IReadOnlyList<ProductStatRow> stats, IReadOnlyDictionary<int, ProductInfo> catalog)
    {
        var perProduct = stats.Where(s => catalog.ContainsKey(s.ProductId))
            .GroupBy(s => s.ProductId)
            .Select(g =>
            {
                int Of(string type) => g.Where(s => s.Type == type).Sum(s => s.Events);
                var score = g.Sum(s => DesireWeights.GetValueOrDefault(s.Type) * (long)s.Events);
                return (Product: catalog[g.Key], Views: Of(EventTypes.ProductView), Lingers: Of(EventTypes.LingerSpecs),
                    Adds: Of(EventTypes.AddToCart), Purchases: Of(EventTypes.Purchase), Score: score);
            })
            .Where(p => p.Score > 0)
            .OrderByDescending(p => p.Score).ThenBy(p => p.Product.Name, StringComparer.Ordinal)
            .Take(10).ToList();
        var table = new AnalyticsTable("top-products", "Top desired products",
            ["Product", "Views", "Spec lingers", "Adds to cart", "Purchases", "Desire score"],
            perProduct.Select(p => (IReadOnlyList<string>)
                [p.Product.Name, Count(p.Views), Count(p.Lingers), Count(p.Adds), Count(p.Purchases), p.Score.ToString(CultureInfo.InvariantCulture)]).ToList());
        var chart = new ChartSpec("top-products", "bar", perProduct.Select(p => p.Product.Name).ToList(),
            [new ChartSeries("Desire score", perProduct.Select(p => (double)p.Score).ToList())], Horizontal: true);
        return (table, chart);
    }

    private static AnalyticsTable HeatmapTable(HeatmapData heatmap) => new("heatmap",
        heatmap.Path is null ? "Attention heatmap" : $"Attention heatmap for {heatmap.Path} (pointer samples per cell)",
        ["Row", .. Enumerable.Range(0, HeatmapGrid.Size).Select(x => $"Column {x + 1}")],
        Enumerable.Range(0, HeatmapGrid.Size).Select(y => (IReadOnlyList<string>)
            [Count(y + 1), .. Enumerable.Range(0, HeatmapGrid.Size).Select(x => Count(heatmap.Counts[y * HeatmapGrid.Size + x]))]).ToList());

    private static readonly IReadOnlyList<(string Kind, string Label)> NudgeKindLabels =
    [
        (NudgeKinds.InterestDiscount, "Interest discount"), (NudgeKinds.CartRescue, "Cart rescue"),
        (NudgeKinds.VipUpgrade, "VIP upgrade"), (NudgeKinds.Campaign, "Campaign"),
    ];

    /// <summary>How many nudges of a group reached each step of queued → sent → delivered → read → clicked → converted.</summary>
    private readonly record struct NudgeTally(int Queued, int Sent, int Delivered, int Read, int Clicked, int Converted, long RevenueCents)
    {
        public static NudgeTally Of(IEnumerable<NudgeFact> nudges)
        {
            var t = new NudgeTally();
            foreach (var n in nudges)
            {
                t = new NudgeTally(t.Queued + 1, t.Sent + (n.Sent ? 1 : 0), t.Delivered + (n.Delivered ? 1 : 0), t.Read + (n.Read ? 1 : 0),
                    t.Clicked + (n.Clicked ? 1 : 0), t.Converted + (n.Orders > 0 ? 1 : 0), t.RevenueCents + n.RevenueCents);
            }
            return t;
        }

        public IReadOnlyList<double> Steps => [Queued, Sent, Delivered, Read, Clicked, Converted];
    }

    private static IReadOnlyList<string> NudgeRow(string label, NudgeTally t) =>
        [label, Count(t.Queued), Count(t.Sent), Count(t.Delivered), Count(t.Read), Count(t.Clicked), Count(t.Converted),
            Money(t.RevenueCents), t.Converted == 0 ? "" : Decimal1((double)t.Sent / t.Converted)];

    private static readonly IReadOnlyList<string> NudgeStages = ["Queued", "Sent", "Delivered", "Read", "Clicked", "Converted"];

    private static readonly IReadOnlyList<string> NudgeColumns =
        ["Nudges", .. NudgeStages, "Attributed revenue (€)", "Messages per conversion"];

    /// <summary>
    /// Queued → sent → delivered → read → clicked → converted per kind, and what a blast to every opted-in contact would
    /// have cost per conversion (one message each; every contact who bought in the range counted as converted).
    /// Delivery and read come from the channel's receipts, so a blast row has none to show.
    /// </summary>
    private static (AnalyticsTable, ChartSpec) NudgeSection(IReadOnlyList<NudgeFact> nudges, (int Contacts, int Buyers, long RevenueCents) blast)
    {
        var perKind = NudgeKindLabels.Select(k => (k.Label, Tally: NudgeTally.Of(nudges.Where(n => n.Kind == k.Kind)))).ToList();
        var rows = perKind.Select(k => NudgeRow(k.Label, k.Tally)).ToList();
        rows.Add(NudgeRow("All nudges", NudgeTally.Of(nudges)));
        rows.Add(["Blast to every contact (estimate)", Count(blast.Contacts), Count(blast.Contacts), "", "", "", Count(blast.Buyers),
            Money(blast.RevenueCents), blast.Buyers == 0 ? "" : Decimal1((double)blast.Contacts / blast.Buyers)]);
        var table = new AnalyticsTable("nudges", "Nudge effectiveness by kind", NudgeColumns, rows);
        var chart = new ChartSpec("nudges", "bar", NudgeStages,
            perKind.Select(k => new ChartSeries(k.Label, k.Tally.Steps)).ToList());
        return (table, chart);
    }

    private static AnalyticsTable LiftTable(
        (IReadOnlyList<LiftNudge> Nudges, IReadOnlyList<LiftOrder> Orders, IReadOnlyList<string> Groups, int OptedIn) lift, TimeSpan window)
    {
        var estimates = LiftCalculator.Estimate(lift.Nudges, lift.Orders, window, lift.Groups);
        var campaigns = LiftCalculator.Pooled("All campaigns", lift.Nudges.Where(n => n.Group.StartsWith("Campaign #", StringComparison.Ordinal)).ToList(), lift.Orders, window);
        return LiftSection.Table(estimates, campaigns, lift.OptedIn);
    }

    private static AnalyticsTable CampaignTable(IReadOnlyList<NudgeFact> nudges) => new("nudge-campaigns", "Nudge effectiveness by campaign",
        ["Campaign", .. NudgeColumns.Skip(1)],
        nudges.Where(n => n.CampaignId is not null).GroupBy(n => n.CampaignId!.Value).OrderBy(g => g.Key)
            .Select(g => NudgeRow($"Campaign #{g.Key}", NudgeTally.Of(g))).ToList());

    internal static string Decimal1(double value) => Math.Round(value, 1, MidpointRounding.AwayFromZero).ToString("0.0", CultureInfo.InvariantCulture);

    internal static double? Ratio(long part, long whole) => whole == 0 ? null : (double)part / whole;

    internal static string Count(long n) => n.ToString(CultureInfo.InvariantCulture);

    internal static string Percent(double? ratio) =>
        ratio is { } r ? Math.Round(r * 100, 1, MidpointRounding.AwayFromZero).ToString("0.0", CultureInfo.InvariantCulture) : "";

    internal static string Money(long cents) => (cents / 100m).ToString("0.00", CultureInfo.InvariantCulture);
}
