using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Catalog;

/// <summary>Today's deal: which product, at what percentage off, on which shop day.</summary>
public sealed record DealOfTheDay(int ProductId, DateOnly Day, int Percent)
{
    public long SavingCents(long regularCents) => DealCalendar.SavingCents(regularCents, Percent);
    public long PriceCents(long regularCents) => regularCents - SavingCents(regularCents);
}

/// <summary>What a shopper is told about a price: the deal price with its was-price, or just the regular price.</summary>
/// <param name="LowestLast30DaysCents">EU Omnibus: the lowest price this product was sold at in the 30 shop days before today.</param>
public sealed record ShownPrice(long RegularCents, long PriceCents, int DealPercent, long LowestLast30DaysCents)
{
    public bool IsDeal => PriceCents < RegularCents;
    public long SavingCents => RegularCents - PriceCents;
    public static ShownPrice Regular(long cents) => new(cents, cents, 0, cents);
}

/// <summary>
/// The Featured Deal of the Day as a price, not only a hero: during the shop day (the shop's time zone) the
/// featured product costs <see cref="ShopOptions.DealDiscountPercent"/> less, wherever it is shown or charged.
/// The rotation is a pure function of the shop day and the catalogue, so any past day's deal (and with it the
/// Omnibus "lowest price in the last 30 days") is recomputed rather than stored. That holds while the catalogue's
/// size, the percentage and the regular price stay as they are; changing one of them rewrites the computed past.
/// </summary>
public sealed class DealCalendar(AppDbContext db, ShopContext shop, TimeProvider clock, IOptionsMonitor<ShopOptions> options)
{
    public const int OmnibusDays = 30;

    private Schedule? _schedule;

    /// <summary>Rounded down to the cent, so the saving shown is never more than the one given.</summary>
    public static long SavingCents(long regularCents, int percent) => regularCents * percent / 100;

    public DateOnly ShopToday() => ShopDayOf(clock.GetUtcNow().UtcDateTime);

    public DateOnly ShopDayOf(DateTime utc) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), shop.TimeZone));

    public async Task<DealOfTheDay?> TodayAsync(CancellationToken ct = default)
    {
        var today = ShopToday();
        var id = (await ScheduleAsync(ct)).ProductOn(today);
        return id is { } productId ? new DealOfTheDay(productId, today, options.CurrentValue.DealDiscountPercent) : null;
    }

    /// <summary>The price of one product as shown today, with its Omnibus reference price.</summary>
    public async Task<ShownPrice> PriceAsync(int productId, long regularCents, CancellationToken ct = default)
    {
        var schedule = await ScheduleAsync(ct);
        var today = ShopToday();
        var percent = options.CurrentValue.DealDiscountPercent;
        var dealPrice = regularCents - SavingCents(regularCents, percent);
        var price = schedule.ProductOn(today) == productId ? dealPrice : regularCents;
        var wasDeal = Enumerable.Range(1, OmnibusDays).Any(back => schedule.ProductOn(today.AddDays(-back)) == productId);
        return new ShownPrice(regularCents, price, price < regularCents ? percent : 0, wasDeal ? dealPrice : regularCents);
    }

    /// <summary>Whether the product was the deal on a shop day from <paramref name="from"/> up to yesterday (its deal has since ended).</summary>
    public async Task<bool> DealEndedSinceAsync(int productId, DateOnly from, CancellationToken ct = default)
    {
        var schedule = await ScheduleAsync(ct);
        var today = ShopToday();
        if (schedule.ProductOn(today) == productId) return false;
        // A cart older than the Omnibus window is not walked day by day further back than that.
        var start = from < today.AddDays(-OmnibusDays) ? today.AddDays(-OmnibusDays) : from;
        for (var day = start; day < today; day = day.AddDays(1))
            if (schedule.ProductOn(day) == productId) return true;
        return false;
    }

    /// <summary>
    /// Walks the catalog with a stride coprime to its size, so consecutive days never repeat a product
    /// and the whole catalog comes round before any deal does, without sitting in one category for days.
    /// </summary>
    public static int DealIndex(DateOnly day, int count)
    {
        var stride = DealStride;
        while (Gcd(stride, count) != 1) stride++;
        return (int)((long)day.DayNumber * stride % count);
    }

    private const int DealStride = 7;

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    private async Task<Schedule> ScheduleAsync(CancellationToken ct)
    {
        if (_schedule is not null) return _schedule;
        // The storefront is Trusty's: another site's products are never the deal.
        var trusty = db.Products.AsNoTracking().Where(p => p.SiteId == SiteIds.Trusty);
        var pinned = options.CurrentValue.FeaturedDeal;
        int? pinnedId = Slugs.IsSlug(pinned) ? await trusty.Where(p => p.Slug == pinned).Select(p => (int?)p.Id).FirstOrDefaultAsync(ct) : null;
        var ids = pinnedId is null ? await trusty.OrderBy(p => p.Id).Select(p => p.Id).ToListAsync(ct) : [];
        return _schedule = new Schedule(pinnedId, ids);
    }

    /// <remarks>
    /// A pin's start is not recorded, so a pinned product counts as the deal on every past day too: its
    /// "lowest price in 30 days" is then the deal price, which can understate the saving but never overstate it.
    /// </remarks>
    private sealed record Schedule(int? PinnedId, IReadOnlyList<int> Ids)
    {
        public int? ProductOn(DateOnly day) =>
            PinnedId ?? (Ids.Count == 0 ? null : Ids[DealIndex(day, Ids.Count)]);
    }
}
