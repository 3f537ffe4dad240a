using HappiTrack.E2E.Infrastructure;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Tracking;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace HappiTrack.E2E;

/// <summary>The tracker in real Chromium against the real app: what a shopper's pointer does ends up in the database.</summary>
public sealed class TrackerTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Slug = CatalogSeed.FeaturedSlug;
    // Headless Chromium announces itself as HeadlessChrome, which the server rightly ignores as a bot.
    private const string DesktopChrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";

    private sealed record Session(IPage Page, List<string> Problems, List<string> TrackRequests);

    private async Task<Session> OpenProductPageAsync(bool doNotTrack = false)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = browser.App.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            UserAgent = DesktopChrome,
            ExtraHTTPHeaders = doNotTrack ? new Dictionary<string, string> { ["DNT"] = "1" } : null,
        });
        if (doNotTrack)
            await context.AddInitScriptAsync("Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' });");
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        var trackRequests = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") problems.Add($"console: {message.Text}"); };
        page.PageError += (_, error) => problems.Add($"page error: {error}");
        page.Request += (_, request) => { if (request.Url.EndsWith(TrackEndpoint.Route, StringComparison.Ordinal)) trackRequests.Add(request.PostData ?? ""); };
        if (doNotTrack)
        {
            await page.GotoAsync($"/product/{Slug}");
        }
        else
        {
            // The first batch (page_view, product_view) is what issues the visitor cookie.
            await page.RunAndWaitForResponseAsync(() => page.GotoAsync($"/product/{Slug}"),
                response => response.Url.EndsWith(TrackEndpoint.Route, StringComparison.Ordinal) && response.Status == 202);
        }
        return new Session(page, problems, trackRequests);
    }

    private async Task<string> VisitorIdAsync(IPage page) =>
        (await page.Context.CookiesAsync()).Single(c => c.Name == VisitorCookie.Name).Value;

    private async Task<List<TrackEvent>> WaitForEventsAsync(Func<IQueryable<TrackEvent>, IQueryable<TrackEvent>> filter, int atLeast = 1)
    {
        for (var attempt = 0; ; attempt++)
        {
            await using var scope = browser.App.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var found = await filter(db.Events.AsNoTracking()).ToListAsync();
            if (found.Count >= atLeast || attempt == 60) return found;
            await Task.Delay(250);
        }
    }

    private async Task<int> ProductIdAsync()
    {
        await using var scope = browser.App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AppDbContext>().Products.Where(p => p.Slug == Slug).Select(p => p.Id).SingleAsync();
    }

    [Fact]
    public async Task Resting_the_pointer_on_the_specs_for_three_seconds_stores_linger_specs_with_the_product()
    {
        var session = await OpenProductPageAsync();
        var visitorId = await VisitorIdAsync(session.Page);
        var specs = session.Page.Locator($"[data-ht-specs='{Slug}']");

        await specs.HoverAsync();
        await session.Page.WaitForTimeoutAsync(3300);

        var lingers = await WaitForEventsAsync(q => q.Where(e => e.VisitorId == visitorId && e.Type == EventTypes.LingerSpecs));
        var linger = Assert.Single(lingers);
        Assert.Equal(await ProductIdAsync(), linger.ProductId);
        Assert.Matches("""^\{"ms":\d{4,}\}$""", linger.Data);
        Assert.Equal($"/product/{Slug}", linger.Path);
        var pageViews = await WaitForEventsAsync(q => q.Where(e => e.VisitorId == visitorId && (e.Type == EventTypes.PageView || e.Type == EventTypes.ProductView)), atLeast: 2);
        Assert.Contains(pageViews, e => e.Type == EventTypes.ProductView && e.ProductId == linger.ProductId);
        await session.Page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "tracker-linger-specs.png") });
        Assert.True(session.Problems.Count == 0, string.Join("\n", session.Problems));
    }

    [Fact]
    public async Task A_short_pass_over_the_specs_is_not_a_linger()
    {
        var session = await OpenProductPageAsync();
        var visitorId = await VisitorIdAsync(session.Page);
        await session.Page.Locator($"[data-ht-specs='{Slug}']").HoverAsync();
        await session.Page.WaitForTimeoutAsync(800);
        await session.Page.Mouse.MoveAsync(5, 790);
        await session.Page.WaitForTimeoutAsync(3000);

        Assert.NotEmpty(await WaitForEventsAsync(q => q.Where(e => e.VisitorId == visitorId && e.Type == EventTypes.PageView)));
        Assert.Empty(await WaitForEventsAsync(q => q.Where(e => e.VisitorId == visitorId && e.Type == EventTypes.LingerSpecs), atLeast: 0));
        Assert.True(session.Problems.Count == 0, string.Join("\n", session.Problems));
    }

    [Fact]
    public async Task Moving_the_pointer_out_through_the_top_stores_one_exit_intent()
    {
        var session = await OpenProductPageAsync();
        var visitorId = await VisitorIdAsync(session.Page);
        var mouse = session.Page.Mouse;

        await mouse.MoveAsync(640, 300);
        await mouse.MoveAsync(640, 5, new() { Steps = 5 });
        await mouse.MoveAsync(640, -20, new() { Steps = 2 });
        await mouse.MoveAsync(640, 200, new() { Steps = 3 });
        await mouse.MoveAsync(640, -20, new() { Steps = 2 });

        var exits = await WaitForEventsAsync(q => q.Where(e => e.VisitorId == visitorId && e.Type == EventTypes.ExitIntent));
        await session.Page.WaitForTimeoutAsync(2500);
        exits = await WaitForEventsAsync(q => q.Where(e => e.VisitorId == visitorId && e.Type == EventTypes.ExitIntent));
        var exit = Assert.Single(exits);
        Assert.Matches("""^\{"ms":\d+\}$""", exit.Data);
        Assert.True(session.Problems.Count == 0, string.Join("\n", session.Problems));
    }

    [Fact]
    public async Task Mouse_cells_arrive_with_the_regular_batches_and_leaving_sends_scroll_depth()
    {
        var session = await OpenProductPageAsync();
        var visitorId = await VisitorIdAsync(session.Page);
        for (var i = 0; i < 6; i++)
        {
            await session.Page.Mouse.MoveAsync(100 + i * 150, 100 + i * 100);
            await session.Page.WaitForTimeoutAsync(300);
        }

        // Still on the page: the cells do not wait for the shopper to leave (SPEC §10).
        var mouse = await WaitForEventsAsync(q => q.Where(e => e.VisitorId == visitorId && e.Type == EventTypes.Mouse));
        Assert.Matches("""^\{"cells":\[\d+(,\d+)+\]\}$""", mouse[0].Data);
        Assert.Equal($"/product/{Slug}", mouse[0].Path);

        await session.Page.Mouse.WheelAsync(0, 600);
        await session.Page.WaitForTimeoutAsync(300);
        // What the browser fires when the page is left, without leaving, so the page can watch the answer.
        await session.Page.EvaluateAsync("() => window.dispatchEvent(new Event('pagehide'))");

        var scroll = await WaitForEventsAsync(q => q.Where(e => e.VisitorId == visitorId && e.Type == EventTypes.ScrollDepth));
        Assert.Matches("""^\{"pct":\d+\}$""", Assert.Single(scroll).Data);
        Assert.Contains(session.TrackRequests, body => body.Contains("\"scroll_depth\""));
        Assert.True(session.Problems.Count == 0, string.Join("\n", session.Problems));
    }

    [Fact]
    public async Task With_do_not_track_on_nothing_is_sent_or_stored()
    {
        var session = await OpenProductPageAsync(doNotTrack: true);
        await session.Page.Locator($"[data-ht-specs='{Slug}']").HoverAsync();
        await session.Page.WaitForTimeoutAsync(3300);
        await session.Page.Mouse.MoveAsync(640, -20, new() { Steps = 3 });
        await session.Page.WaitForTimeoutAsync(2500);
        await session.Page.GotoAsync("/");
        await session.Page.WaitForTimeoutAsync(500);

        Assert.Empty(session.TrackRequests);
        var cookie = (await session.Page.Context.CookiesAsync()).SingleOrDefault(c => c.Name == VisitorCookie.Name);
        if (cookie is not null)
            Assert.Empty(await WaitForEventsAsync(q => q.Where(e => e.VisitorId == cookie.Value && e.Source == EventSource.Client), atLeast: 0));
        Assert.True(session.Problems.Count == 0, string.Join("\n", session.Problems));
    }

    [Fact]
    public async Task Opting_out_stops_the_tracker_across_pages_and_opting_in_resumes_it()
    {
        var session = await OpenProductPageAsync();
        await session.Page.EvaluateAsync("() => window.happitrack.optOut()");
        await session.Page.WaitForTimeoutAsync(2500);
        session.TrackRequests.Clear();

        await session.Page.GotoAsync($"/product/{Slug}");
        await session.Page.Locator($"[data-ht-specs='{Slug}']").HoverAsync();
        await session.Page.WaitForTimeoutAsync(3300);
        await session.Page.Mouse.MoveAsync(640, -20, new() { Steps = 3 });
        await session.Page.WaitForTimeoutAsync(2500);
        Assert.Empty(session.TrackRequests);

        await session.Page.EvaluateAsync("() => window.happitrack.optIn()");
        await session.Page.GotoAsync("/");
        await session.Page.WaitForTimeoutAsync(2500);
        Assert.Contains(session.TrackRequests, body => body.Contains("\"page_view\"", StringComparison.Ordinal));
        Assert.True(session.Problems.Count == 0, string.Join("\n", session.Problems));
    }
}
