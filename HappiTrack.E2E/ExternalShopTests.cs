using HappiTrack.Web.Features.Rules;
using Microsoft.Extensions.DependencyInjection;
using System.Text;
using System.Security.Cryptography;
using HappiTrack.E2E.Infrastructure;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Sites;
using HappiTrack.Web.Features.Tracking;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace HappiTrack.E2E;

/// <summary>
/// Issue 20: samples/external-shop served on another loopback port (another origin) loads /t.js from the brain;
/// a shopper who came by a tracked link lingers on the specs, adds to cart through the JS API and leaves
/// through the top, and the events are the site's, under the visitor the shop's storage keeps.
/// </summary>
public sealed class ExternalShopTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private const string DesktopChrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
    private const string Slug = "blue-kettle";
    private WebApplication _shop = null!;
    private Site _site = null!;
    private string _secret = "";
    private string _shopOrigin = "";

    public async Task InitializeAsync()
    {
        _shop = SampleShop.Create();
        await _shop.StartAsync();
        _shopOrigin = new Uri(_shop.Urls.First()).GetLeftPart(UriPartial.Authority);
        _site = await browser.App.WithDbAsync(async db =>
        {
            _secret = Site.NewSecret();
            var site = new Site
            {
                Key = Site.NewKey(), Name = "Kettle & Co.", TimeZone = "Europe/Berlin", AllowedOrigins = _shopOrigin, CreatedAt = DateTime.UtcNow,
                ProtectedSecret = browser.App.Services.GetRequiredService<SiteSecrets>().Protect(_secret),
            };
            db.Set<Site>().Add(site);
            await db.SaveChangesAsync();
            db.Products.Add(new Product
            {
                SiteId = site.Id, Slug = Slug, Name = "Blue kettle", Brand = "Kettle & Co.", Summary = "1.7 l",
                PriceCents = 2_999, CategoryId = await db.Categories.Select(c => c.Id).FirstAsync(),
            });
            await db.SaveChangesAsync();
            return site;
        });
        SampleShop.Brain = browser.App.BaseAddress.GetLeftPart(UriPartial.Authority);
        SampleShop.SiteKey = _site.Key;
    }

    public async Task DisposeAsync() => await _shop.DisposeAsync();

    [Fact]
    public async Task Linger_add_to_cart_by_the_js_api_and_exit_intent_on_another_origin_are_stored_for_the_site_and_its_linked_visitor()
    {
        var contact = await browser.App.WithDbAsync(async db =>
        {
            var c = new Contact { SiteId = _site.Id, Phone = "+4915112340020", Name = "Amina", LinkToken = LinkToken.New(), CreatedAt = DateTime.UtcNow };
            db.Contacts.Add(c);
            await db.SaveChangesAsync();
            return c;
        });
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            UserAgent = DesktopChrome,
        });
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") problems.Add($"console: {message.Text} at {message.Location}"); };
        page.Response += (_, response) => { if (response.Status >= 400) problems.Add($"{response.Status} {response.Url}"); };
        page.PageError += (_, error) => problems.Add($"page error: {error}");

        await page.GotoAsync($"{_shopOrigin}/kettle.html?utm_source=wa&ht={contact.LinkToken}");
        // The tracker takes the token out of the address bar as soon as it runs.
        await Assertions.Expect(page).ToHaveURLAsync($"{_shopOrigin}/kettle.html?utm_source=wa");

        await page.Locator($"[data-ht-specs='{Slug}']").HoverAsync();
        await page.WaitForTimeoutAsync(3300); // a person reading the specs
        await page.GetByRole(AriaRole.Button, new() { Name = "Add to cart" }).ClickAsync();
        var mouse = page.Mouse;
        await mouse.MoveAsync(640, 300);
        await mouse.MoveAsync(640, 5, new() { Steps = 5 });
        await mouse.MoveAsync(640, -20, new() { Steps = 2 });

        var wanted = new[] { EventTypes.PageView, EventTypes.ProductView, EventTypes.LingerSpecs, EventTypes.AddToCart, EventTypes.ExitIntent };
        List<TrackEvent> events = [];
        for (var attempt = 0; attempt < 60; attempt++)
        {
            events = await browser.App.WithDbAsync(db => db.Events.AsNoTracking().Where(e => e.SiteId == _site.Id).ToListAsync());
            if (wanted.All(t => events.Any(e => e.Type == t))) break;
            await Task.Delay(250);
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.All(wanted, t => Assert.Contains(events, e => e.Type == t));
        var visitorId = await page.EvaluateAsync<string>("localStorage.getItem('ht_vid')");
        Assert.True(VisitorCookie.IsWellFormed(visitorId), $"the shop's storage keeps the visitor id, got '{visitorId}'");
        Assert.All(events, e => Assert.Equal((visitorId, (int?)contact.Id), (e.VisitorId, e.ContactId)));
        var productId = await browser.App.WithDbAsync(db => db.Products.Where(p => p.SiteId == _site.Id && p.Slug == Slug).Select(p => p.Id).SingleAsync());
        Assert.All(events.Where(e => e.Type is EventTypes.LingerSpecs or EventTypes.AddToCart), e => Assert.Equal(productId, e.ProductId));
        var visitor = await browser.App.WithDbAsync(db => db.Visitors.AsNoTracking().SingleAsync(v => v.Id == visitorId));
        Assert.Equal((_site.Id, (int?)contact.Id), (visitor.SiteId, visitor.ContactId));
        // Nothing of the shop's leaked into Trusty's own site.
        Assert.False(await browser.App.WithDbAsync(db => db.Events.AnyAsync(e => e.VisitorId == visitorId && e.SiteId != _site.Id)));
        await context.CloseAsync();

        // Then the shop's server, as samples/external-shop/post-order.sh does: three signed orders for the linked phone
        // (written as the shopper typed it) count as the contact's purchases, and the third makes them VIP.
        using var shopServer = new HttpClient { BaseAddress = browser.App.BaseAddress };
        for (var n = 1; n <= 3; n++)
        {
            var body = $$$"""{"type":"order_placed","data":{"order_id":"E2E-{{{n}}}","phone":"+49 151 1234 0020","opt_in":false,"total":29.99,"lines":[{"slug":"{{{Slug}}}","name":"Blue kettle","price":29.99,"qty":1}]}}""";
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sites/{_site.Key}/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(_secret), Encoding.UTF8.GetBytes(body)));
            request.Headers.Add(SiteEventPipeline.SignatureHeader, $"sha256={signature}");
            request.Headers.Add(SiteEventPipeline.IdempotencyHeader, $"order-E2E-{n}-placed");
            using var response = await shopServer.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, $"order {n}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        // The brain's jobs do not run on their own in the Testing environment; the projector runs as its job would.
        await browser.App.RunAsync<EventProjector>(p => p.RunAsync());
        var (orders, vip) = await browser.App.WithDbAsync(async db => (
            await db.Orders.CountAsync(o => o.ContactId == contact.Id && o.SiteId == _site.Id),
            await db.Contacts.Where(c => c.Id == contact.Id).Select(c => c.VipStatus).SingleAsync()));
        Assert.Equal(3, orders);
        Assert.True(vip, "three signed orders for the contact's phone did not make them VIP");
    }

    /// <summary>samples/external-shop as a shop would serve it, with the snippet's placeholders filled in.</summary>
    private static class SampleShop
    {
        public static string Brain { get; set; } = "";
        public static string SiteKey { get; set; } = "";

        public static WebApplication Create()
        {
            var directory = SampleDirectory();
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = directory });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            app.MapGet("/{file}", async (string file, HttpContext http) =>
            {
                var path = Path.Combine(directory, file);
                if (file.Contains("..") || !File.Exists(path)) return Results.NotFound();
                var text = (await File.ReadAllTextAsync(path)).Replace("http://localhost:5000", Brain).Replace("s_YOUR_SITE_KEY", SiteKey);
                var type = Path.GetExtension(file) switch { ".html" => "text/html", ".js" => "text/javascript", ".css" => "text/css", _ => "text/plain" };
                return Results.Text(text, type + "; charset=utf-8");
            });
            return app;
        }

        private static string SampleDirectory()
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "HappiTrack.sln"))) directory = directory.Parent;
            return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("HappiTrack.sln not found"), "samples", "external-shop");
        }
    }
}
