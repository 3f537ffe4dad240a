using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Tracking;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Analytics;

/// <summary>Where visitor and product figures come from: the daily roll-ups (fast) or the raw events (exact to the second).</summary>
public enum AnalyticsSource { Rollup, Raw }

public sealed record FunnelCounts(
    int Visitors, int ProductViewers, int CartAdders, int CheckoutStarters, int Purchasers,
    int Carts, int AbandonedCarts, int LinkedContacts);

public sealed record OrderTotals(int Orders, int Buyers, long RevenueCents);

public sealed record ProductStatRow(DateOnly Day, int ProductId, string Type, int Events, int Visitors);

public sealed record ProductInfo(int Id, string Slug, string Name, long PriceCents, IReadOnlyList<TagInfo> Tags);

public sealed record TagInfo(int Id, string Slug, string Name, TagKind Kind);

public sealed record HeatmapData(IReadOnlyList<(string Path, int Samples)> Paths, string? Path, int Samples, int[] Counts);

/// <summary>The cart-holding visitors of a range, with what they added and how each cart ended.</summary>
public sealed record CartFact(string VisitorId, IReadOnlySet<int> ProductIds, bool Purchased, bool Vip, bool Rescued);

/// <summary>
/// One nudge of the range: kind, campaign, outbox status, how far the channel and the shopper took it, and
/// its attributed orders. Delivered includes a read receipt without a delivery report (the channel may send only the later one).
/// </summary>
public sealed record NudgeFact(string Kind, int? CampaignId, string Status, bool Sent, bool Delivered, bool Read, bool Clicked,
    int Orders, long RevenueCents);

/// <summary>
/// Read-only queries over a shop-day range. Orders are always read raw: the table is small and indexed by time.
/// <c>site</c> null reads every site; a site id reads that site's events, roll-up rows, orders and products only, and
/// the nudges of its contacts (<see cref="SiteContacts"/>) with the orders of that site attributed to them.
/// </summary>
public sealed class AnalyticsQueries(AppDbContext db, ShopCalendar calendar, Microsoft.Extensions.Options.IOptions<AttributionOptions> attribution)
{
    private sealed record FunnelRow(int Visitors, int ProductViewers, int CartAdders, int CheckoutStarters, int Purchasers,
        int Carts, int AbandonedCarts);

    private sealed record ProductRow(int ProductId, string Type, int Events, int Visitors);

    /// <summary>
    /// Holds one connection open for all of a dashboard's queries, instead of taking one from the pool (and
    /// running the per-connection pragmas) for each of them. Dispose to hand it back.
    /// </summary>
    public async Task<IAsyncDisposable> HoldConnectionAsync(CancellationToken ct = default)
    {
        await db.Database.OpenConnectionAsync(ct);
        return new ConnectionHold(db);
    }

    private sealed class ConnectionHold(AppDbContext db) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await db.Database.CloseConnectionAsync();
    }

    public async Task<FunnelCounts> FunnelAsync(DateRange range, AnalyticsSource source, CancellationToken ct = default, int? site = null)
    {
        var (start, end) = calendar.UtcBounds(range);
        var rollup = source == AnalyticsSource.Rollup;
        var args = rollup ? AnalyticsSql.WithSite(site, range.From, range.To) : AnalyticsSql.WithSite(site, start, end);
        var r = (await db.Database.SqlQueryRaw<FunnelRow>(
            AnalyticsSql.Funnel(rollup ? AnalyticsSql.RolledUpVisitorSteps(site) : AnalyticsSql.RawVisitorSteps(site)), args).ToListAsync(ct)).Single();
        var contacts = (await db.Database.SqlQueryRaw<int>(
            AnalyticsSql.LinkedContacts(rollup ? AnalyticsSql.RolledUpActivity(site) : AnalyticsSql.RawActivity(site)), args).ToListAsync(ct)).Single();
        return new FunnelCounts(r.Visitors, r.ProductViewers, r.CartAdders, r.CheckoutStarters, r.Purchasers,
            r.Carts, r.AbandonedCarts, contacts);
    }

    public async Task<OrderTotals> OrdersAsync(DateRange range, CancellationToken ct = default, int? site = null)
    {
        var (start, end) = calendar.UtcBounds(range);
        var orders = OrdersOf(site).Where(o => o.PlacedAt >= start && o.PlacedAt < end);
        // One group over the whole range; materialised as a list because a single aggregate row has no natural order.
        var totals = (await orders
            .GroupBy(_ => 1)
            .Select(g => new { Orders = g.Count(), Revenue = g.Sum(o => o.TotalCents), Buyers = g.Select(o => o.VisitorId).Distinct().Count() })
            .ToListAsync(ct)).SingleOrDefault();
        return totals is null ? new OrderTotals(0, 0, 0) : new OrderTotals(totals.Orders, totals.Buyers, totals.Revenue);
    }

    /// <summary>Per day, product and event type; the raw path runs the roll-up's own aggregation day by day.</summary>
    public async Task<IReadOnlyList<ProductStatRow>> ProductStatsAsync(DateRange range, AnalyticsSource source, CancellationToken ct = default, int? site = null)
    {
        if (source == AnalyticsSource.Rollup)
        {
            var days = db.Set<ProductDayStat>().AsNoTracking().Where(s => s.Day >= range.From && s.Day <= range.To);
            if (site is { } one) days = days.Where(s => s.SiteId == one);
            // One row per day, product and type, as the raw path gives (a product's events are normally all one site's).
            return await days.GroupBy(s => new { s.Day, s.ProductId, s.Type })
                .Select(g => new ProductStatRow(g.Key.Day, g.Key.ProductId, g.Key.Type, g.Sum(s => s.Events), g.Sum(s => s.Visitors)))
                .ToListAsync(ct);
        }
        var result = new List<ProductStatRow>();
        foreach (var day in range.EachDay())
        {
            var (start, end) = (calendar.StartUtc(day), calendar.StartUtc(day.AddDays(1)));
            var rows = await db.Database.SqlQueryRaw<ProductRow>(AnalyticsSql.RawProductStats(site), AnalyticsSql.WithSite(site, start, end)).ToListAsync(ct);
            result.AddRange(rows.Select(r => new ProductStatRow(day, r.ProductId, r.Type, r.Events, r.Visitors)));
        }
        return result;
    }

    public async Task<IReadOnlyDictionary<int, ProductInfo>> CatalogAsync(CancellationToken ct = default, int? site = null) =>
        await (site is { } one ? db.Products.AsNoTracking().Where(p => p.SiteId == one) : db.Products.AsNoTracking())
            .Select(p => new ProductInfo(p.Id, p.Slug, p.Name, p.PriceCents,
                p.Tags.Select(t => new TagInfo(t.Id, t.Slug, t.Name, t.Kind)).ToList()))
            .ToDictionaryAsync(p => p.Id, ct);

    public async Task<HeatmapData> HeatmapAsync(DateRange range, string? path, AnalyticsSource source, CancellationToken ct = default, int? site = null)
    {
        if (source == AnalyticsSource.Rollup)
        {
            var days = db.Set<HeatmapDay>().AsNoTracking().Where(h => h.Day >= range.From && h.Day <= range.To);
            if (site is { } one) days = days.Where(h => h.SiteId == one);
            var paths = (await days.GroupBy(h => h.Path)
                    .Select(g => new { Path = g.Key, Samples = g.Sum(h => h.Samples) })
                    .OrderByDescending(p => p.Samples).ThenBy(p => p.Path).Take(50).ToListAsync(ct))
                .Select(p => (p.Path, p.Samples)).ToList();
            var chosen = Choose(paths, path);
            var counts = new int[HeatmapGrid.CellCount];
            var samples = 0;
            if (chosen is not null)
            {
                await foreach (var h in days.Where(h => h.Path == chosen).Select(h => new { h.Samples, h.Cells }).AsAsyncEnumerable().WithCancellation(ct))
                {
                    samples += h.Samples;
                    HeatmapGrid.AddSerialized(counts, h.Cells);
                }
            }
            return new HeatmapData(paths, chosen, samples, counts);
        }
        else
        {
            var (start, end) = calendar.UtcBounds(range);
            var paths = (await EventsOf(site)
                    .Where(e => e.Type == EventTypes.Mouse && e.OccurredAt >= start && e.OccurredAt < end && e.Path != null)
                    .GroupBy(e => e.Path!)
                    .Select(g => new { Path = g.Key, Samples = g.Count() })
                    .OrderByDescending(p => p.Samples).ThenBy(p => p.Path).Take(50).ToListAsync(ct))
                .Select(p => (p.Path, p.Samples)).ToList();
            var chosen = Choose(paths, path);
            if (chosen is null) return new HeatmapData(paths, null, 0, new int[HeatmapGrid.CellCount]);
            var counts = new int[HeatmapGrid.CellCount];
            var samples = 0;
            await foreach (var data in EventsOf(site)
                               .Where(e => e.Type == EventTypes.Mouse && e.OccurredAt >= start && e.OccurredAt < end && e.Path == chosen)
                               .Select(e => e.Data).AsAsyncEnumerable().WithCancellation(ct))
            {
                samples++;
                HeatmapGrid.Accumulate(counts, data);
            }
            return new HeatmapData(paths, chosen, samples, counts);
        }
    }

    private static string? Choose(List<(string Path, int Samples)> paths, string? requested) =>
        requested is not null && paths.Any(p => p.Path == requested) ? requested : paths.FirstOrDefault().Path;

    /// <summary>
    /// Every visitor who added to cart in the range: the products added, whether they bought in the
    /// range, VIP status of their contact, and whether the purchase came through a cart-rescue nudge.
    /// The roll-up path reads the per-day cart adds and the visitor-day steps instead of the events.
    /// </summary>
    public async Task<IReadOnlyList<CartFact>> CartsAsync(DateRange range, AnalyticsSource source, CancellationToken ct = default, int? site = null)
    {
        var (start, end) = calendar.UtcBounds(range);
        var productsByVisitor = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        void Add(string visitorId, int productId)
        {
            if (!productsByVisitor.TryGetValue(visitorId, out var products)) productsByVisitor[visitorId] = products = [];
            products.Add(productId);
        }
        IQueryable<string> purchasers;
        if (source == AnalyticsSource.Rollup)
        {
            var adds = db.Set<CartAddDay>().AsNoTracking().Where(c => c.Day >= range.From && c.Day <= range.To);
            if (site is { } one) adds = adds.Where(c => c.SiteId == one);
            await foreach (var a in adds.Select(c => new { c.VisitorId, c.ProductId }).AsAsyncEnumerable().WithCancellation(ct))
                Add(a.VisitorId, a.ProductId);
            var days = db.Set<VisitorDayFact>().AsNoTracking()
                .Where(f => f.Day >= range.From && f.Day <= range.To && (f.Steps & FunnelSteps.Purchase) == FunnelSteps.Purchase);
            if (site is { } only) days = days.Where(f => f.SiteId == only);
            purchasers = days.Select(f => f.VisitorId);
        }
        else
        {
            var inRange = EventsOf(site).Where(e => e.OccurredAt >= start && e.OccurredAt < end);
            var adds = inRange.Where(e => e.Type == EventTypes.AddToCart && e.ProductId != null);
            await foreach (var a in adds.Select(e => new { e.VisitorId, ProductId = e.ProductId!.Value }).AsAsyncEnumerable().WithCancellation(ct))
                Add(a.VisitorId, a.ProductId);
            purchasers = inRange.Where(e => e.Type == EventTypes.Purchase).Select(e => e.VisitorId);
        }
        if (productsByVisitor.Count == 0) return [];

        var purchased = (await purchasers.Distinct().ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        var vips = (await db.Visitors.AsNoTracking()
                .Where(v => v.ContactId != null && v.Contact!.VipStatus)
                .Select(v => v.Id).ToListAsync(ct))
            .ToHashSet(StringComparer.Ordinal);
        var rescued = await RescuedVisitorsAsync(start, end, site, ct);

        return productsByVisitor
            .Select(p => new CartFact(p.Key, p.Value, purchased.Contains(p.Key), vips.Contains(p.Key), rescued.Contains(p.Key)))
            .OrderBy(c => c.VisitorId, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Visitors with an order in the range attributed to a cart-rescue nudge.</summary>
    private async Task<HashSet<string>> RescuedVisitorsAsync(DateTime start, DateTime end, int? site, CancellationToken ct) =>
        (await OrdersOf(site)
            .Where(o => o.PlacedAt >= start && o.PlacedAt < end && o.AttributedNudgeId != null)
            .Join(db.Set<Nudge>().Where(n => n.Kind == NudgeKinds.CartRescue), o => o.AttributedNudgeId, n => n.Id, (o, _) => o.VisitorId)
            .Distinct().ToListAsync(ct))
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Nudges created in the range with how far each got, and the orders attributed to them (placed within
    /// the attribution window after the click, so possibly after the range ends).
    /// </summary>
    public async Task<IReadOnlyList<NudgeFact>> NudgesAsync(DateRange range, CancellationToken ct = default, int? site = null)
    {
        var (start, end) = calendar.UtcBounds(range);
        // A held-out row was never a message: the funnel, the blast comparison and the campaign figures count only real ones.
        var nudges = NudgesOf(site).Where(n => n.CreatedAt >= start && n.CreatedAt < end && n.Status != NudgeStatuses.HeldOut);
        var revenue = await OrdersOf(site)
            .Where(o => o.AttributedNudgeId != null && o.PlacedAt >= start)
            .Join(nudges, o => o.AttributedNudgeId, n => n.Id, (o, n) => new { n.Id, o.TotalCents })
            .GroupBy(x => x.Id)
            .Select(g => new { Id = g.Key, Orders = g.Count(), Cents = g.Sum(x => x.TotalCents) })
            .ToDictionaryAsync(x => x.Id, ct);
        var rows = await nudges
            .Select(n => new
            {
                n.Id, n.Kind, n.CampaignId, n.Status, Sent = n.SentAt != null,
                Delivered = n.DeliveredAt != null || n.ReadAt != null, Read = n.ReadAt != null, Clicked = n.ClickedAt != null,
            })
            .ToListAsync(ct);
        return rows.Select(n => new NudgeFact(n.Kind, n.CampaignId, n.Status, n.Sent, n.Delivered, n.Read, n.Clicked,
                revenue.TryGetValue(n.Id, out var r) ? r.Orders : 0, revenue.TryGetValue(n.Id, out var c) ? c.Cents : 0))
            .ToList();
    }

    /// <summary>What a blast to every messageable contact would have met: how many contacts, and how many bought in the range.</summary>
    public async Task<(int Contacts, int Buyers, long RevenueCents)> BlastBaselineAsync(DateRange range, CancellationToken ct = default, int? site = null)
    {
        var (start, end) = calendar.UtcBounds(range);
        var contacts = await ContactsOf(site).CountAsync(c => c.OptedIn && !c.OptedOut && c.CreatedAt < end, ct);
        var bought = (await OrdersOf(site)
            .Where(o => o.PlacedAt >= start && o.PlacedAt < end && o.ContactId != null)
            .Join(ContactsOf(site).Where(c => c.OptedIn && !c.OptedOut), o => o.ContactId, c => c.Id, (o, c) => new { c.Id, o.TotalCents })
            .GroupBy(_ => 1)
            .Select(g => new { Buyers = g.Select(x => x.Id).Distinct().Count(), Cents = g.Sum(x => x.TotalCents) })
            .ToListAsync(ct)).SingleOrDefault();
        return (contacts, bought?.Buyers ?? 0, bought?.Cents ?? 0);
    }

    public TimeSpan AttributionWindow => TimeSpan.FromDays(attribution.Value.WindowDays);

    /// <summary>
    /// The rows of the lift analysis: each rule's and campaign's nudges created in the range, in their arm, and the
    /// orders of their contacts up to a window past the range's end. Treated: every row the guards let through (sent,
    /// waiting, or later cancelled or expired: intention to treat, as the held-out arm cannot be filtered by what happened
    /// after). Held out: the rule's or campaign's own control group; the global control group is in neither arm.
    /// </summary>
    public async Task<(IReadOnlyList<LiftNudge> Nudges, IReadOnlyList<LiftOrder> Orders, IReadOnlyList<string> Groups, int OptedIn)> LiftAsync(
        DateRange range, CancellationToken ct = default, int? site = null)
    {
        var (start, end) = calendar.UtcBounds(range);
        var window = AttributionWindow;
        string[] kinds = [NudgeKinds.CartRescue, NudgeKinds.InterestDiscount, NudgeKinds.VipUpgrade, NudgeKinds.Campaign];
        string[] notTreated = [GuardReasons.NoOptIn, GuardReasons.OptedOut, GuardReasons.Capped];
        var inRange = NudgesOf(site).Where(n => n.CreatedAt >= start && n.CreatedAt < end && kinds.Contains(n.Kind)
            && (n.Status == NudgeStatuses.HeldOut
                ? n.Reason == HoldoutReasons.Holdout
                : !(n.Status == NudgeStatuses.Suppressed && n.Reason != null && notTreated.Contains(n.Reason))));
        var rows = await inRange
            .Select(n => new { n.Kind, n.CampaignId, n.ContactId, n.CreatedAt, HeldOut = n.Status == NudgeStatuses.HeldOut, Sent = n.SentAt != null })
            .ToListAsync(ct);
        var campaignIds = rows.Where(r => r.CampaignId != null).Select(r => r.CampaignId!.Value).Distinct().Order().ToList();
        var names = await db.Set<Crm.Campaign>().AsNoTracking().Where(c => campaignIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        string CampaignLabel(int id) => $"Campaign #{id}: {names.GetValueOrDefault(id, "(deleted)")}";
        var ruleLabels = LiftSection.Rules.ToDictionary(r => r.Kind, r => r.Label);
        var nudges = rows.Where(r => r.Kind != NudgeKinds.Campaign || r.CampaignId != null)
            .Select(r => new LiftNudge(r.Kind == NudgeKinds.Campaign ? CampaignLabel(r.CampaignId!.Value) : ruleLabels[r.Kind], r.HeldOut, r.ContactId, r.CreatedAt, r.Sent))
            .ToList();

        var windowEnd = end + window;
        var orders = await OrdersOf(site)
            .Where(o => o.ContactId != null && o.PlacedAt >= start && o.PlacedAt <= windowEnd && inRange.Any(n => n.ContactId == o.ContactId))
            .Select(o => new LiftOrder(o.Id, o.ContactId!.Value, o.PlacedAt, o.TotalCents))
            .ToListAsync(ct);
        var optedIn = await ContactsOf(site).CountAsync(c => c.OptedIn && !c.OptedOut && c.CreatedAt < end, ct);
        return (nudges, orders, [.. LiftSection.Rules.Select(r => r.Label), .. campaignIds.Select(CampaignLabel)], optedIn);
    }

    private IQueryable<Cart.Order> OrdersOf(int? site) =>
        site is { } one ? db.Orders.AsNoTracking().Where(o => o.SiteId == one) : db.Orders.AsNoTracking();

    private IQueryable<TrackEvent> EventsOf(int? site) =>
        site is { } one ? db.Events.AsNoTracking().Where(e => e.SiteId == one) : db.Events.AsNoTracking();

    private IQueryable<Contacts.Contact> ContactsOf(int? site) =>
        site is { } one ? SiteContacts.Of(db, db.Contacts.AsNoTracking(), one) : db.Contacts.AsNoTracking();

    /// <summary>Nudges go to a person, not a site: a site's view shows the nudges of its contacts.</summary>
    private IQueryable<Nudge> NudgesOf(int? site)
    {
        var nudges = db.Set<Nudge>().AsNoTracking();
        if (site is not { } one) return nudges;
        var contacts = SiteContacts.IdsOf(db, one);
        return nudges.Where(n => contacts.Contains(n.ContactId));
    }
}
