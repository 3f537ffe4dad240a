using System.Text.RegularExpressions;
using HappiTrack.E2E.Infrastructure;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Tracking;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace HappiTrack.E2E;

/// <summary>
/// SPEC §10: no event lost between pages. A shopper clicks through the store, each navigation right
/// after a data-ht click (links, form posts, the back button), then closes the tab. The user agent is
/// set on the context only, so Chromium's unload beacons still leave as "HeadlessChrome": the
/// tracker must deliver anyway. Nothing waits for the server between the shopper's steps; only page
/// loads are awaited, as a person sees a page before clicking on it.
/// </summary>
public sealed class DeliveryTests(BrowserFixture browser, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    private const string DesktopChrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";

    /// <param name="beaconsLost">
    /// Every unload beacon aborted, as by a mobile browser that skips pagehide for a backgrounded or
    /// killed tab: the beacon must never be the only path for an event.
    /// </param>
    /// <summary>The attention heatmap's roll-up for one page, brought up to date first.</summary>
    private async Task<int[]> HeatmapAsync(string path)
    {
        await using (var scope = browser.App.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<RollupService>().RefreshChangedDaysAsync();
        var days = await browser.App.WithDbAsync(db => db.Set<HeatmapDay>().AsNoTracking().Where(h => h.Path == path).ToListAsync());
        var counts = new int[HeatmapGrid.CellCount];
        foreach (var day in days) HeatmapGrid.AddSerialized(counts, day.Cells);
        return counts;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Thirty_navigations_right_after_clicks_and_a_closed_tab_lose_no_click_and_store_none_twice(bool beaconsLost)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = browser.App.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            UserAgent = DesktopChrome,
        });
        if (beaconsLost)
            await context.RouteAsync("**" + TrackEndpoint.Route, route => route.Request.ResourceType == "ping" ? route.AbortAsync() : route.FallbackAsync());
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.PageError += (_, error) => problems.Add($"page error: {error}");
        var answers = new List<string>();
        void Note(string what) { lock (answers) answers.Add(what); }
        context.Request += (_, request) => { if (request.Url.EndsWith(TrackEndpoint.Route, StringComparison.Ordinal)) Note($"{request.ResourceType} sent"); };
        context.Response += (_, response) => { if (response.Url.EndsWith(TrackEndpoint.Route, StringComparison.Ordinal)) Note($"{response.Request.ResourceType} {response.Status}"); };
        context.RequestFailed += (_, request) => { if (request.Url.EndsWith(TrackEndpoint.Route, StringComparison.Ordinal)) Note($"{request.ResourceType} failed"); };

        var clicks = new List<string>();
        var navigations = 0;
        async Task ClickAsync(ILocator target)
        {
            clicks.Add(await target.GetAttributeAsync("data-ht") ?? "?");
            await target.ClickAsync();
        }
        async Task ArriveAsync(string pathAndQuery)
        {
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(browser.App.BaseAddress.ToString().TrimEnd('/') + pathAndQuery) + "(#.*)?$"));
            // The deferred tracker has run by DOMContentLoaded; a person does not click on a page they have not seen.
            await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
            navigations++;
        }

        var visitorsBefore = await browser.App.WithDbAsync(db => db.Visitors.Select(v => v.Id).ToListAsync());
        await page.GotoAsync("/");
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
        var categories = await page.Locator("a[data-ht='nav_category']").EvaluateAllAsync<string[]>("links => links.map(a => a.getAttribute('href'))");
        string? mousePath = null;
        int[] heatmapBefore = [];

        for (var round = 0; navigations < 30; round++)
        {
            var category = categories[round % categories.Length];
            await ClickAsync(page.Locator($"a[data-ht='nav_category'][href='{category}']"));        // link
            await ArriveAsync(category);
            if (navigations == 29)
            {
                await ClickAsync(page.Locator("a[data-ht='logo']"));                                   // link
                await ArriveAsync("/");
                break;
            }

            var card = page.Locator(".product-grid a[data-ht='product_card']").First;
            var product = await card.GetAttributeAsync("href");
            await ClickAsync(card);                                                                    // link
            await ArriveAsync(product!);
            if (navigations == 30) break;

            await ClickAsync(page.Locator("a[data-ht='gallery_thumb']").Nth(1));                        // scrolls the gallery in place...
            await page.GoBackAsync();                                                                  // ...and the back button at once
            await ArriveAsync(category);
            if (navigations == 30) break;

            await ClickAsync(page.Locator(".product-grid a[data-ht='product_card']").First);          // link
            await ArriveAsync(product!);
            if (navigations == 30) break;

            if (round == 1)
            {
                // Pointer movement right before a navigation: two corners no element centre falls on.
                mousePath = product;
                heatmapBefore = await HeatmapAsync(product!); // both theory cases share the app
                await page.Mouse.MoveAsync(5, 5);
                await page.WaitForTimeoutAsync(300); // the tracker samples the pointer at most 4 times a second
                await page.Mouse.MoveAsync(1275, 795);
                await page.WaitForTimeoutAsync(300);
            }
            await ClickAsync(page.Locator("form.add-form button[data-ht='add_to_cart']"));            // form post
            await ArriveAsync(product!);
            if (navigations == 30) break;

            await ClickAsync(page.Locator("#cart-drawer a[data-ht='drawer_view_cart']"));             // link
            await ArriveAsync("/cart");
            if (navigations == 30) break;

            await ClickAsync(page.Locator("a[data-ht='logo']"));                                       // link
            await ArriveAsync("/");
        }

        // The last click does not navigate; the shopper closes the tab right after it.
        await ClickAsync(page.Locator("#filter-sort"));
        await page.CloseAsync(new PageCloseOptions { RunBeforeUnload = true });

        // The shopper is gone; from here the test only waits for what the tracker delivered.
        var visitorId = (await context.CookiesAsync()).Single(c => c.Name == VisitorCookie.Name).Value;
        List<TrackEvent> stored = [];
        for (var deadline = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < deadline; await Task.Delay(250))
        {
            stored = await browser.App.WithDbAsync(db => db.Events.AsNoTracking()
                .Where(e => e.VisitorId == visitorId && e.Type == EventTypes.Click).OrderBy(e => e.ClientTime).ThenBy(e => e.Id).ToListAsync());
            if (stored.Count >= clicks.Count) break;
        }
        await Task.Delay(1000); // late copies, had the server stored any twice
        stored = await browser.App.WithDbAsync(db => db.Events.AsNoTracking()
            .Where(e => e.VisitorId == visitorId && e.Type == EventTypes.Click).OrderBy(e => e.ClientTime).ThenBy(e => e.Id).ToListAsync());
        var storedLabels = stored.Select(e => e.Data!.Replace("{\"label\":\"", "").Replace("\"}", "")).ToList();

        string[] snapshot;
        lock (answers) snapshot = [.. answers];
        var lost = clicks.GroupBy(l => l).Sum(g => Math.Max(0, g.Count() - storedLabels.Count(s => s == g.Key)));
        var duplicates = stored.Count - (clicks.Count - lost);
        output.WriteLine($"beacons lost: {beaconsLost}; navigations {navigations}, clicks {clicks.Count}, stored {stored.Count}, lost {lost}, duplicates {duplicates}");
        output.WriteLine("track answers seen by the browser: " + string.Join(", ", snapshot.GroupBy(a => a).Select(g => $"{g.Key} ×{g.Count()}")));

        // One shopper, one visitor: a request sent before the first answer brought the cookie would make a second one.
        var newVisitors = await browser.App.WithDbAsync(db => db.Visitors.Where(v => !visitorsBefore.Contains(v.Id)).Select(v => v.Id).ToListAsync());
        output.WriteLine($"visitors created: {newVisitors.Count}");
        Assert.Equal([visitorId], newVisitors);
        Assert.Equal(30, navigations);
        Assert.Equal(0, lost);
        Assert.Equal(0, duplicates);
        Assert.Equal(clicks.Order(StringComparer.Ordinal), storedLabels.Order(StringComparer.Ordinal));
        Assert.All(stored, e => Assert.NotNull(e.ClientEventId));
        Assert.True(problems.Count == 0, string.Join("\n", problems));

        // The pointer's two corners show up in the attention heatmap's roll-up for that page.
        var counts = await HeatmapAsync(mousePath!);
        output.WriteLine($"heatmap {mousePath}: top-left {heatmapBefore[0]} -> {counts[0]}, bottom-right {heatmapBefore[^1]} -> {counts[^1]}");
        Assert.True(counts[0] > heatmapBefore[0], "the top-left corner is missing from the heatmap");
        Assert.True(counts[^1] > heatmapBefore[^1], "the bottom-right corner is missing from the heatmap");
        await context.CloseAsync();
    }
}
