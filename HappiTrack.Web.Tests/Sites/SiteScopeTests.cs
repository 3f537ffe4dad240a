using System.Net;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Sites;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Brain;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Sites;

/// <summary>
/// Issue 20: events of site A never appear in site B's analytics or CRM views. Two shops are connected through the
/// real events API (orders, carts, products), their shoppers browse (events on each site's visitors), the brain and
/// the roll-ups run; then every analytics and CRM page and CSV is read in each site's scope. Site A's canaries (a
/// product, a shopper's name and phone, a page path, a revenue figure) must be absent from B's views and present in
/// A's, so the test fails if the scope is ignored.
/// </summary>
public sealed class SiteScopeTests : IAsyncLifetime
{
    private readonly AdminFactory _app = new();
    private HttpClient _admin = null!;
    private SiteCredentials _a = null!, _b = null!;
    private int _contactA, _contactB, _contactBoth;

    // Site A's canaries; B has its own, so each direction can be checked.
    private static readonly string[] ACanaries = ["Alpha Anvil", "alpha-anvil", "Mia Alpha", "15111111111", "/alpha-only-page", "2333.31"];
    private static readonly string[] BCanaries = ["Beta Bowl", "beta-bowl", "Bea Beta", "15122222222", "/beta-only-page", "37.02"];

    private static readonly string[] Charts =
        ["kpis", "funnel", "abandonment", "cart-outcomes", "tag-trends", "top-products", "heatmap", "nudges", "nudge-campaigns", "lift"];

    public async Task InitializeAsync()
    {
        _admin = await _app.AdminClientAsync();
        _a = await SiteKit.RegisterAsync(_app, "Alpha Shop", "https://alpha.example");
        _b = await SiteKit.RegisterAsync(_app, "Beta Shop", "https://beta.example");
        using var client = _app.CreateClient();

        var visitorA = VisitorCookie.NewId();
        var visitorB = VisitorCookie.NewId();
        await ShopAsync(client, _a, visitorA, "alpha-anvil", "Alpha Anvil", 777.77m, 2, "A-1", "+4915111111111", "Mia Alpha");
        await ShopAsync(client, _b, visitorB, "beta-bowl", "Beta Bowl", 12.34m, 2, "B-1", "+4915122222222", "Bea Beta");
        // One person who buys on both: one contact, seen in both scopes, each showing only its own site's activity.
        await OrderAsync(client, _a, "A-2", "+4915133333333", "Cara Both", "alpha-anvil", "Alpha Anvil", 777.77m, 1);
        await OrderAsync(client, _b, "B-2", "+4915133333333", "Cara Both", "beta-bowl", "Beta Bowl", 12.34m, 1);

        (_contactA, _contactB, _contactBoth) = await _app.WithDbAsync(async db => (
            await db.Contacts.Where(c => c.Phone == "+4915111111111").Select(c => c.Id).SingleAsync(),
            await db.Contacts.Where(c => c.Phone == "+4915122222222").Select(c => c.Id).SingleAsync(),
            await db.Contacts.Where(c => c.Phone == "+4915133333333").Select(c => c.Id).SingleAsync()));
        await BrowseAsync(visitorA, _a.SiteId, _contactA, "alpha-anvil", "/alpha-only-page");
        await BrowseAsync(visitorB, _b.SiteId, _contactB, "beta-bowl", "/beta-only-page");

        await new BrainKit(_app).ProjectAsync();
        await using var scope = _app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RollupService>().RefreshChangedDaysAsync();
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _app.DisposeAsync();
    }

    /// <summary>A cart through the events API (add-to-cart events of the site), then the order for that cart's shopper.</summary>
    private static async Task ShopAsync(HttpClient client, SiteCredentials site, string visitor, string slug, string name, decimal price, int qty,
        string orderId, string phone, string customer)
    {
        var upsert = new { type = "product_upserted", data = new { slug, name, price, tags = new[] { "mugs" } } };
        Assert.Equal(HttpStatusCode.OK, (await SiteKit.PostAsync(client, site, upsert)).StatusCode);
        var cart = new { type = "cart_updated", data = new { visitor_id = visitor, lines = new[] { new { slug, qty, price } } } };
        Assert.Equal(HttpStatusCode.OK, (await SiteKit.PostAsync(client, site, cart)).StatusCode);
        await OrderAsync(client, site, orderId, phone, customer, slug, name, price, qty, visitor);
    }

    private static async Task OrderAsync(HttpClient client, SiteCredentials site, string orderId, string phone, string customer,
        string slug, string name, decimal price, int qty, string? visitor = null)
    {
        var order = new
        {
            type = "order_placed",
            data = new
            {
                order_id = orderId, phone, opt_in = true, name = customer, visitor_id = visitor, total = price * qty,
                lines = new[] { new { slug, name, price, qty } },
            },
        };
        var response = await SiteKit.PostAsync(client, site, order);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    /// <summary>What the site's tracker would store: a page view, product views and pointer samples on the shop's own page.</summary>
    private Task BrowseAsync(string visitor, int site, int contact, string slug, string path) => _app.WithDbAsync(async db =>
    {
        var now = _app.Clock.GetUtcNow().UtcDateTime;
        var product = await db.Products.Where(p => p.SiteId == site && p.Slug == slug).Select(p => p.Id).SingleAsync();
        var row = await db.Visitors.FirstOrDefaultAsync(v => v.Id == visitor);
        if (row is null) db.Visitors.Add(row = new Visitor { Id = visitor, SiteId = site, FirstSeenAt = now, LastSeenAt = now });
        row.ContactId = contact;
        row.LinkedAt = now;
        db.Events.Add(new TrackEvent { SiteId = site, VisitorId = visitor, Type = EventTypes.PageView, OccurredAt = now, Path = path });
        db.Events.Add(new TrackEvent { SiteId = site, VisitorId = visitor, Type = EventTypes.ProductView, ProductId = product, OccurredAt = now, Path = path });
        db.Events.Add(new TrackEvent { SiteId = site, VisitorId = visitor, Type = EventTypes.Mouse, OccurredAt = now, Path = path, Data = "{\"cells\":[5,5]}" });
        await db.SaveChangesAsync();
    });

    /// <summary>Every analytics and CRM view and CSV of one scope, each with its address (for the failure message).</summary>
    private async Task<List<(string Url, string Body)>> ViewsAsync(int site, int ownContact)
    {
        var urls = new List<string>
        {
            $"/admin?site={site}",
            $"/admin/contacts?site={site}",
            $"/admin/contacts?site={site}&handler=Export",
            $"/api/contacts?site={site}",
            $"/admin/contacts/{ownContact}?site={site}",
            $"/admin/contacts/{_contactBoth}?site={site}",
        };
        foreach (var source in new[] { "rollup", "raw" })
        {
            urls.Add($"/analytics?site={site}&source={source}&tags=all");
            urls.AddRange(Charts.Select(c => $"/analytics/export/{c}.csv?site={site}&source={source}&tags=all"));
        }
        var views = new List<(string, string)>();
        foreach (var url in urls)
        {
            var response = await _admin.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode}");
            views.Add((url, await response.Content.ReadAsStringAsync()));
        }
        return views;
    }

    private static void AssertNone(IEnumerable<(string Url, string Body)> views, string[] canaries)
    {
        foreach (var (url, body) in views)
        foreach (var canary in canaries)
            Assert.False(body.Contains(canary, StringComparison.Ordinal), $"{url} shows another site's “{canary}”");
    }

    private static string Of(List<(string Url, string Body)> views, string url) => views.Single(v => v.Url == url).Body;

    [Fact]
    public async Task Site_Bs_analytics_and_crm_views_show_nothing_of_site_A_and_the_other_way_round()
    {
        var b = await ViewsAsync(_b.SiteId, _contactB);
        AssertNone(b, ACanaries);
        var a = await ViewsAsync(_a.SiteId, _contactA);
        AssertNone(a, BCanaries);

        // The same views do show each site's own data, so the absence above is the scope's doing.
        foreach (var (views, site, canaries, contact) in new[] { (a, _a.SiteId, ACanaries, _contactA), (b, _b.SiteId, BCanaries, _contactB) })
        {
            var (product, slug, name, phone, path, revenue) = (canaries[0], canaries[1], canaries[2], canaries[3], canaries[4], canaries[5]);
            foreach (var source in new[] { "rollup", "raw" })
            {
                Assert.Contains(product, Of(views, $"/analytics/export/top-products.csv?site={site}&source={source}&tags=all"));
                Assert.Contains(revenue, Of(views, $"/analytics/export/kpis.csv?site={site}&source={source}&tags=all"));
                Assert.Contains(path, Of(views, $"/analytics?site={site}&source={source}&tags=all"));
                Assert.Contains(product, Of(views, $"/analytics?site={site}&source={source}&tags=all"));
            }
            Assert.Contains(name, Of(views, $"/admin/contacts?site={site}"));
            Assert.Contains(phone, Of(views, $"/admin/contacts?site={site}&handler=Export"));
            Assert.Contains(phone, Of(views, $"/api/contacts?site={site}"));
            Assert.Contains(slug, Of(views, $"/admin/contacts/{contact}?site={site}"));
            Assert.Contains(slug, Of(views, $"/admin/contacts/{_contactBoth}?site={site}"));
            // Both sites' shopper is a contact of each; the other site's one-site shopper is not.
            Assert.Contains("Cara Both", Of(views, $"/admin/contacts?site={site}"));
        }

        // All sites together: both shops' products, shoppers and pages.
        var all = await _admin.GetStringAsync("/analytics?tags=all");
        Assert.Contains("Alpha Anvil", all);
        Assert.Contains("Beta Bowl", all);
        var everyone = await _admin.GetStringAsync("/admin/contacts");
        Assert.Contains("Mia Alpha", everyone);
        Assert.Contains("Bea Beta", everyone);
        var both = await _admin.GetStringAsync($"/admin/contacts/{_contactBoth}");
        Assert.Contains("alpha-anvil", both);
        Assert.Contains("beta-bowl", both);
    }

    [Fact]
    public async Task The_scope_follows_the_links_and_forms_of_the_views()
    {
        var site = $"site={_b.SiteId}";
        var analytics = Html(await _admin.GetStringAsync($"/analytics?{site}&preset=7d"));
        Assert.NotNull(analytics.QuerySelector("#site-switcher"));
        Assert.Equal(_b.SiteId.ToString(), analytics.QuerySelector("#site-select option[selected]")?.GetAttribute("value"));
        Assert.Contains(site, analytics.QuerySelector("a.an-csv")!.GetAttribute("href"));
        Assert.All(analytics.QuerySelectorAll("a[data-preset]"), a => Assert.Contains(site, a.GetAttribute("href")));
        Assert.Equal(_b.SiteId.ToString(), analytics.QuerySelector("#range-form input[name=site]")?.GetAttribute("value"));

        var contacts = Html(await _admin.GetStringAsync($"/admin/contacts?{site}"));
        Assert.Contains(site, contacts.QuerySelector("#contacts-export")!.GetAttribute("href"));
        Assert.Contains(site, contacts.QuerySelector($"tr[data-contact-id='{_contactB}'] a")!.GetAttribute("href"));
        Assert.Equal(_b.SiteId.ToString(), contacts.QuerySelector("#contacts-table")?.GetAttribute("data-site"));
        Assert.Equal(_b.SiteId.ToString(), contacts.QuerySelector("#contacts-filters input[name=site]")?.GetAttribute("value"));

        var dashboard = Html(await _admin.GetStringAsync($"/admin?{site}"));
        Assert.Contains(site, dashboard.QuerySelector("nav.admin-nav a[href^='/admin/contacts']")!.GetAttribute("href"));
        Assert.All(dashboard.QuerySelectorAll("a[href^='/analytics']"), a => Assert.Contains(site, a.GetAttribute("href")));
    }

    private static AngleSharp.Html.Dom.IHtmlDocument Html(string html) => new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html);

    [Theory]
    [InlineData("999999")]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("99999999999999999999")]
    [InlineData("<script>")]
    public async Task An_unknown_site_shows_every_site_with_a_message_and_a_csv_of_it_is_refused(string site)
    {
        var encoded = Uri.EscapeDataString(site);
        foreach (var url in new[] { "/analytics", "/admin", "/admin/contacts", $"/admin/contacts/{_contactA}" })
        {
            var response = await _admin.GetAsync($"{url}?site={encoded}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var html = await response.Content.ReadAsStringAsync();
            Assert.Contains("showing all sites", html);
            Assert.DoesNotContain("<script>\u201d", html);
        }
        var csv = await _admin.GetAsync($"/analytics/export/kpis.csv?site={encoded}");
        await SiteKit.AssertProblemAsync(csv, 400);
        Assert.Equal(HttpStatusCode.BadRequest, (await _admin.GetAsync($"/admin/contacts?handler=Export&site={encoded}")).StatusCode);
    }

    [Fact]
    public async Task A_revoked_sites_history_can_still_be_viewed_in_its_scope()
    {
        await using (var scope = _app.Services.CreateAsyncScope())
            Assert.True(await scope.ServiceProvider.GetRequiredService<SiteAdmin>().RevokeAsync(_a.SiteId));
        var html = await _admin.GetStringAsync($"/analytics?site={_a.SiteId}&tags=all");
        Assert.Contains("Alpha Shop (revoked)", html);
        Assert.Contains("Alpha Anvil", html);
        Assert.DoesNotContain("Beta Bowl", html);
    }
}

/// <summary>With Trusty alone (no other site registered) there is nothing to switch: no switcher, figures as before.</summary>
public sealed class SingleSiteScopeTests
{
    [Fact]
    public async Task With_one_site_the_switcher_is_hidden_and_a_site_value_changes_nothing()
    {
        await using var app = new AdminFactory();
        using var admin = await app.AdminClientAsync();
        foreach (var url in new[] { "/analytics", "/admin", "/admin/contacts" })
        {
            var html = await admin.GetStringAsync(url);
            Assert.DoesNotContain("id=\"site-switcher\"", html);
            Assert.DoesNotContain("?site=", html);
            Assert.DoesNotContain("&amp;site=", html);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(url + "?site=1")).StatusCode);
        }
    }
}
