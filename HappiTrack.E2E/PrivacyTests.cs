using HappiTrack.E2E.Infrastructure;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Tracking;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace HappiTrack.E2E;

/// <summary>A shopper switches tracking off on the privacy page linked from the footer, like a person would.</summary>
public sealed class PrivacyTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Slug = CatalogSeed.FeaturedSlug;
    private const string DesktopChrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";

    [Fact]
    public async Task Stop_tracking_me_from_the_footer_link_keeps_a_product_visit_out_of_the_database()
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = browser.App.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            UserAgent = DesktopChrome,
        });
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        var trackRequests = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") problems.Add($"console: {message.Text}"); };
        page.PageError += (_, error) => problems.Add($"page error: {error}");
        page.Request += (_, request) => { if (request.Url.EndsWith(TrackEndpoint.Route, StringComparison.Ordinal)) trackRequests.Add(request.PostData ?? ""); };

        // Tracked as usual until the choice: the first batch is what gives this browser its visitor cookie.
        await page.RunAndWaitForResponseAsync(() => page.GotoAsync("/"),
            response => response.Url.EndsWith(TrackEndpoint.Route, StringComparison.Ordinal) && response.Status == 202);
        var visitorId = (await context.CookiesAsync()).Single(c => c.Name == VisitorCookie.Name).Value;

        await page.GetByRole(AriaRole.Contentinfo).GetByRole(AriaRole.Link, new() { Name = "Privacy and tracking" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Your privacy");
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop tracking me" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Tracking is off for this browser");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Resume tracking" })).ToBeVisibleAsync();
        trackRequests.Clear();

        // Browse a product the way that is normally tracked: open it, rest on the specs, head for the tab bar, leave.
        await page.GetByRole(AriaRole.Link, new() { Name = "Trusty home" }).ClickAsync();
        await page.Locator($"a.product-card-link[href='/product/{Slug}']").First.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/product/{Slug}$"));
        await page.Locator($"[data-ht-specs='{Slug}']").HoverAsync();
        await page.WaitForTimeoutAsync(3300);
        await page.Mouse.WheelAsync(0, 1500);
        await page.Mouse.MoveAsync(640, -20, new() { Steps = 3 });
        await page.WaitForTimeoutAsync(2500);
        await page.GetByRole(AriaRole.Link, new() { Name = "Trusty home" }).ClickAsync();
        await page.WaitForTimeoutAsync(500);

        Assert.Empty(trackRequests);
        Assert.True(await page.EvaluateAsync<bool>("() => window.happitrack === undefined"), "the tracker is not even loaded");
        // The page's own tracker was switched off too before the form went (window.happitrack.optOut()).
        Assert.Equal("1", await page.EvaluateAsync<string?>("() => localStorage.getItem('ht_optout')"));

        await using var scope = browser.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var stored = await db.Events.AsNoTracking().Where(e => e.VisitorId == visitorId).ToListAsync();
        Assert.NotEmpty(stored); // the home page before the choice was tracked, so the visitor is the right one
        // Only the two pages seen before the choice (their scroll depth goes out as the shopper clicks away): nothing of the product visit.
        Assert.All(stored, e => Assert.Contains(e.Path, new[] { "/", "/privacy" }));
        Assert.DoesNotContain(stored, e => e.Type is EventTypes.LingerSpecs or EventTypes.ExitIntent);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        await context.CloseAsync();
    }
}
