using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Tests.Infrastructure;

namespace HappiTrack.Web.Tests.Storefront;

/// <summary>The Featured Deal of the Day changes with the shop's day and only then; the shop's midnight, not UTC's, turns it over.</summary>
public sealed class FeaturedDealTests : IAsyncLifetime
{
    private readonly HappiTrackFactory _factory = new();

    public Task InitializeAsync()
    {
        // UTC+10 all year: the shop's day starts at 14:00 UTC, far from UTC's midnight.
        _factory.Settings["Shop:TimeZone"] = "Australia/Brisbane";
        _factory.Settings["Shop:FeaturedDeal"] = "";
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task<string> DealAsync()
    {
        var home = await new StorefrontBrowser(_factory).GetAsync("/");
        return home.One("section.hero")!.GetAttribute("data-ht-product")!;
    }

    [Fact]
    public async Task The_same_shop_day_shows_the_same_deal_and_the_next_day_another()
    {
        var morning = await DealAsync();
        _factory.Clock.Advance(TimeSpan.FromHours(1)); // 13:00 UTC = 23:00 in the shop, still the same day
        Assert.Equal(morning, await DealAsync());
        Assert.Equal(morning, await DealAsync());

        _factory.Clock.Advance(TimeSpan.FromHours(2)); // 15:00 UTC = 01:00 next day in the shop, though UTC's date is unchanged
        var tomorrow = await DealAsync();
        Assert.NotEqual(morning, tomorrow);

        _factory.Clock.Advance(TimeSpan.FromDays(1));
        var dayAfter = await DealAsync();
        Assert.NotEqual(tomorrow, dayAfter);
        _factory.Clock.Advance(TimeSpan.FromHours(5));
        Assert.Equal(dayAfter, await DealAsync());
    }

    [Fact]
    public async Task A_week_of_deals_shows_seven_different_products()
    {
        var deals = new HashSet<string>();
        for (var day = 0; day < 7; day++)
        {
            deals.Add(await DealAsync());
            _factory.Clock.Advance(TimeSpan.FromDays(1));
        }
        Assert.Equal(7, deals.Count);
    }

    [Fact]
    public async Task A_pinned_deal_holds_across_days_and_an_unknown_slug_falls_back_to_the_rotation()
    {
        _factory.Settings["Shop:FeaturedDeal"] = CatalogSeed.FeaturedSlug;
        Assert.Equal(CatalogSeed.FeaturedSlug, await DealAsync());
        _factory.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(CatalogSeed.FeaturedSlug, await DealAsync());

        await using var other = new HappiTrackFactory();
        other.Settings["Shop:FeaturedDeal"] = "no-such-product";
        other.Settings["Shop:TimeZone"] = "Australia/Brisbane";
        var home = await new StorefrontBrowser(other).GetAsync("/");
        Assert.NotNull(home.One("section.hero")!.GetAttribute("data-ht-product"));
    }

    [Theory]
    [InlineData(1), InlineData(7), InlineData(14), InlineData(30)]
    public void Consecutive_days_never_repeat_and_the_whole_catalog_comes_round(int count)
    {
        var start = DateOnly.FromDateTime(DateTime.UtcNow);
        var seen = Enumerable.Range(0, count).Select(d => DealCalendar.DealIndex(start.AddDays(d), count)).ToList();
        Assert.Equal(count, seen.Distinct().Count());
        Assert.All(seen, i => Assert.InRange(i, 0, count - 1));
    }
}
