using System.Buffers.Text;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Features.Sites;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Brain;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Tracking;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Sites;

/// <summary>
/// A rescued cart of another shop (issue 20) goes back to that shop: its cart-restore URL with a payload signed with
/// the site's secret, or HappiTrack's page listing the cart with links to the shop's products. Trusty's stays as it was.
/// </summary>
public sealed class SiteCartRescueTests : IAsyncLifetime
{
    private const string Origin = "https://mugs.example";
    private const string Template = "https://mugs.example/cart/restore?payload={payload}&sig={signature}";
    private const string MugUrl = "https://mugs.example/p/blue-mug";

    private readonly HappiTrackFactory _app = new();
    private BrainKit Kit => new(_app);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<SiteCredentials> RegisterAsync(string? template)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<SiteAdmin>()
            .RegisterAsync(new SiteRegistration("Mug Shop", Origin, "Europe/Berlin", template));
        Assert.Empty(result.Errors);
        return result.Created!;
    }

    /// <summary>The shop's server reports a product and a cart; the cart's visitor belongs to an opted-in contact; 30 minutes pass.</summary>
    private async Task<(Nudge Rescue, string VisitorId)> AbandonedSiteCartAsync(SiteCredentials site)
    {
        await Kit.UpdateSettingsAsync(s => s.CartRescue.HoldoutPercent = 0);
        using var server = _app.CreateClient();
        var visitorId = VisitorCookie.NewId();
        Assert.Equal(HttpStatusCode.OK, (await SiteKit.PostAsync(server, site, new
        {
            type = "product_upserted", data = new { slug = "blue-mug", name = "Blue mug", price = 12.50m, tags = new[] { "mugs" }, url = MugUrl },
        })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SiteKit.PostAsync(server, site, new
        {
            type = "cart_updated", data = new { visitor_id = visitorId, lines = new[] { new { slug = "blue-mug", qty = 2 } } },
        })).StatusCode);
        var contact = await Kit.ContactAsync();
        await Kit.LinkAsync(visitorId, contact.Id);
        _app.Clock.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(1, await Kit.AbandonedCartsAsync());
        var rescue = Assert.Single(await Kit.NudgesAsync(contact.Id), n => n.Kind == NudgeKinds.CartRescue);
        Assert.Contains(rescue.Link, rescue.Message);
        return (rescue, visitorId);
    }

    private async Task<HttpResponseMessage> ClickAsync(Nudge nudge)
    {
        var browser = _app.CreateBrowserClient(handleCookies: false, allowRedirects: false);
        return await browser.GetAsync(new Uri(nudge.Link).PathAndQuery);
    }

    private static string HexHmac(string secret, string text) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(text)));

    [Fact]
    public async Task A_site_cart_rescue_click_is_counted_and_lands_on_the_shops_restore_url_with_a_payload_only_its_secret_signed()
    {
        var site = await RegisterAsync(Template);
        var (rescue, visitorId) = await AbandonedSiteCartAsync(site);
        var trustyCarts = await _app.WithDbAsync(db => db.Carts.CountAsync(c => c.SiteId == SiteIds.Trusty));

        var response = await ClickAsync(rescue);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.Equal("https://mugs.example/cart/restore", location.GetLeftPart(UriPartial.Path));
        var query = QueryHelpers.ParseQuery(location.Query);
        string payload = query["payload"]!, sig = query["sig"]!;
        // The shop's check, done here without the app's code: hex HMAC-SHA256 of the payload text under the site's secret.
        Assert.Equal(HexHmac(site.Secret, payload), sig);
        Assert.NotEqual(HexHmac(Site.NewSecret(), payload), sig);
        Assert.NotNull(SiteCartPayload.Verify(payload, sig, site.Secret));
        Assert.Null(SiteCartPayload.Verify(payload, sig, Site.NewSecret()));
        Assert.Null(SiteCartPayload.Verify(payload[..^2] + (payload[^2] == 'A' ? "B" : "A") + payload[^1], sig, site.Secret));

        using var json = JsonDocument.Parse(Base64Url.DecodeFromChars(payload));
        var root = json.RootElement;
        Assert.Equal(site.Key, root.GetProperty("site").GetString());
        Assert.Equal(rescue.Id, root.GetProperty("nudge").GetInt32());
        Assert.Equal(visitorId, root.GetProperty("visitor_id").GetString());
        var line = Assert.Single(root.GetProperty("lines").EnumerateArray());
        Assert.Equal(("blue-mug", 2, MugUrl), (line.GetProperty("slug").GetString(), line.GetProperty("qty").GetInt32(), line.GetProperty("url").GetString()));
        var issued = root.GetProperty("iat").GetInt64();
        Assert.Equal(new DateTimeOffset(Kit.Now).ToUnixTimeSeconds(), issued);
        // As long as the rescue's own discount token lives (CartRescue.ValidHours, 24 by default).
        Assert.Equal(issued + 24 * 3600, root.GetProperty("exp").GetInt64());
        Assert.Equal(10, root.GetProperty("offer").GetProperty("percent").GetInt32());

        // Counted as the nudge's click; nothing of Trusty's touched: no visitor cookie, no Trusty cart, no offer cookie.
        Assert.Equal(Kit.Now, await _app.WithDbAsync(db => db.Set<Nudge>().Where(n => n.Id == rescue.Id).Select(n => n.ClickedAt).SingleAsync()));
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(), string.Join("; ", cookies ?? []));
        Assert.Equal(trustyCarts, await _app.WithDbAsync(db => db.Carts.CountAsync(c => c.SiteId == SiteIds.Trusty)));
    }

    [Fact]
    public async Task Without_a_template_the_click_lands_on_a_HappiTrack_page_listing_the_cart_with_links_to_the_shop()
    {
        var site = await RegisterAsync(template: null);
        var (rescue, _) = await AbandonedSiteCartAsync(site);

        var response = await ClickAsync(rescue);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith($"/cart-rescue/{site.Key}?payload=", location);
        var browser = _app.CreateBrowserClient(handleCookies: false, allowRedirects: false);
        var page = await browser.GetAsync(location);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var doc = new HtmlParser().ParseDocument(await page.Content.ReadAsStringAsync());
        Assert.Contains("Mug Shop", doc.QuerySelector("h1")!.TextContent);
        var link = Assert.Single(doc.QuerySelectorAll(".cart-rescue-lines a"));
        Assert.Equal(MugUrl, link.GetAttribute("href"));
        Assert.Equal("Blue mug", link.TextContent.Trim());
        Assert.Contains("× 2", doc.QuerySelector(".cart-rescue-lines li")!.TextContent);
        Assert.Contains(doc.QuerySelectorAll("a"), a => a.GetAttribute("href") == Origin + "/");
        Assert.DoesNotContain("Trusty", doc.DocumentElement.OuterHtml);
        Assert.Contains("no-store", page.Headers.CacheControl!.ToString());
        Assert.Equal(Kit.Now, await _app.WithDbAsync(db => db.Set<Nudge>().Where(n => n.Id == rescue.Id).Select(n => n.ClickedAt).SingleAsync()));
    }

    [Fact]
    public async Task A_tampered_forged_or_expired_cart_page_link_gets_a_friendly_4xx_page()
    {
        var site = await RegisterAsync(template: null);
        var other = await RegisterAsync(template: null);
        var (rescue, _) = await AbandonedSiteCartAsync(site);
        var location = (await ClickAsync(rescue)).Headers.Location!.OriginalString;
        var query = QueryHelpers.ParseQuery(new Uri("http://x" + location).Query);
        string payload = query["payload"]!, signature = query["signature"]!;
        var browser = _app.CreateBrowserClient(handleCookies: false, allowRedirects: false);

        async Task<(HttpStatusCode Status, string Title)> OpenAsync(string path)
        {
            var response = await browser.GetAsync(path);
            var doc = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
            // Nothing of the cart is shown unless the link is genuine and live.
            if (response.StatusCode != HttpStatusCode.OK) Assert.Empty(doc.QuerySelectorAll(".cart-rescue-lines a"));
            return (response.StatusCode, doc.QuerySelector("h1")?.TextContent ?? "");
        }

        var edited = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(payload)).Replace("\"qty\":2", "\"qty\":9");
        var editedPayload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(edited));
        var flipped = (signature[0] == 'a' ? "b" : "a") + signature[1..];
        var forged = HexHmac(Site.NewSecret(), payload);
        foreach (var path in new[]
        {
            SiteCartRestore.PagePath(site.Key, editedPayload, signature),
            SiteCartRestore.PagePath(site.Key, payload, flipped),
            SiteCartRestore.PagePath(site.Key, payload, forged),
            SiteCartRestore.PagePath(other.Key, payload, signature),
            SiteCartRestore.PagePath("AAAAAAAAAAAAAAAAAAAA", payload, signature),
            $"/cart-rescue/{site.Key}?payload={payload}",
            $"/cart-rescue/{site.Key}?payload=%27%20OR%201%3D1&signature={signature}",
            $"/cart-rescue/{site.Key}",
        })
        {
            var (status, title) = await OpenAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Equal("This cart link does not work", title);
        }

        Assert.Equal(HttpStatusCode.OK, (await OpenAsync(location)).Status);
        _app.Clock.Advance(TimeSpan.FromHours(24));
        var expired = await OpenAsync(location);
        Assert.Equal((HttpStatusCode.Gone, "This cart link has expired"), expired);
    }

    [Fact]
    public async Task A_revoked_sites_rescue_goes_to_the_shop_home_with_nothing_signed()
    {
        var site = await RegisterAsync(Template);
        var (rescue, _) = await AbandonedSiteCartAsync(site);
        await using (var scope = _app.Services.CreateAsyncScope())
            Assert.True(await scope.ServiceProvider.GetRequiredService<SiteAdmin>().RevokeAsync(site.SiteId));

        var response = await ClickAsync(rescue);

        Assert.Equal(Origin + "/", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A_link_preview_of_a_site_rescue_goes_to_the_shop_home_and_counts_no_click()
    {
        var site = await RegisterAsync(Template);
        var (rescue, _) = await AbandonedSiteCartAsync(site);
        var preview = _app.CreateBrowserClient(handleCookies: false, allowRedirects: false);
        preview.DefaultRequestHeaders.UserAgent.Clear();
        preview.DefaultRequestHeaders.UserAgent.ParseAdd("WhatsApp/2.23.20.0 A");

        var response = await preview.GetAsync(new Uri(rescue.Link).PathAndQuery);

        Assert.Equal(Origin + "/", response.Headers.Location!.OriginalString);
        Assert.Null(await _app.WithDbAsync(db => db.Set<Nudge>().Where(n => n.Id == rescue.Id).Select(n => n.ClickedAt).SingleAsync()));
    }

    [Fact]
    public async Task An_interest_offer_on_a_sites_product_lands_on_that_product_at_the_shop_not_on_trusty()
    {
        var site = await RegisterAsync(Template);
        using var server = _app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await SiteKit.PostAsync(server, site, new
        {
            type = "product_upserted", data = new { slug = "blue-mug", name = "Blue mug", price = 12.50m, tags = new[] { "mugs" }, url = MugUrl },
        })).StatusCode);
        var contact = await Kit.ContactAsync();
        var visitor = await Kit.VisitorAsync(contact.Id);
        await Kit.EventAsync(visitor, EventTypes.ProductView, "blue-mug");
        await Kit.EventAsync(visitor, EventTypes.LingerSpecs, "blue-mug");
        await Kit.EventAsync(visitor, EventTypes.AddToCart, "blue-mug", EventSource.Server);
        await Kit.ProjectAsync();
        var offer = Assert.Single(await Kit.NudgesAsync(contact.Id), n => n.Kind == NudgeKinds.InterestDiscount);

        var response = await ClickAsync(offer);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(MugUrl, response.Headers.Location!.ToString());
        Assert.Equal(Kit.Now, await _app.WithDbAsync(db => db.Set<Nudge>().Where(n => n.Id == offer.Id).Select(n => n.ClickedAt).SingleAsync()));
        // No Trusty visitor cookie or offer cookie on the brain's domain for another shop's shopper.
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(), string.Join("; ", cookies ?? []));
    }

    [Fact]
    public async Task Trustys_own_cart_rescue_still_restores_into_trustys_cart_and_goes_to_checkout()
    {
        await RegisterAsync(Template);
        await Kit.UpdateSettingsAsync(s => s.CartRescue.HoldoutPercent = 0);
        var contact = await Kit.ContactAsync();
        var visitor = await Kit.VisitorAsync(contact.Id);
        await Kit.AddToCartAsync(visitor, BrainKit.Featured);
        _app.Clock.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(1, await Kit.AbandonedCartsAsync());
        var rescue = Assert.Single(await Kit.NudgesAsync(contact.Id), n => n.Kind == NudgeKinds.CartRescue);

        var response = await ClickAsync(rescue);

        Assert.Equal($"/checkout?token={rescue.TokenValue}", response.Headers.Location!.OriginalString);
        var cookie = response.Headers.GetValues("Set-Cookie").First(c => c.StartsWith(VisitorCookie.Name + "="));
        var browserVisitor = cookie.Split(';')[0][(VisitorCookie.Name.Length + 1)..];
        var restored = await _app.WithDbAsync(db => db.Carts.Include(c => c.Lines).AsNoTracking().SingleAsync(c => c.VisitorId == browserVisitor));
        Assert.Equal(SiteIds.Trusty, restored.SiteId);
        Assert.Equal(await Kit.ProductIdAsync(BrainKit.Featured), Assert.Single(restored.Lines).ProductId);
    }

    [Fact]
    public async Task The_sample_shops_verify_script_accepts_the_payload_with_the_sites_secret_and_refuses_another()
    {
        var site = await RegisterAsync(Template);
        var (rescue, _) = await AbandonedSiteCartAsync(site);
        var query = QueryHelpers.ParseQuery((await ClickAsync(rescue)).Headers.Location!.Query);

        var good = await RunVerifyScriptAsync(site.Secret, query["payload"]!, query["sig"]!);
        var bad = await RunVerifyScriptAsync(Site.NewSecret(), query["payload"]!, query["sig"]!);

        Assert.True(good.Exit == 0, good.Output);
        Assert.Contains("\"slug\":\"blue-mug\"", good.Output);
        Assert.Equal(1, bad.Exit);
        Assert.DoesNotContain("blue-mug", bad.Output);
    }

    private static async Task<(int Exit, string Output)> RunVerifyScriptAsync(string secret, string payload, string sig)
    {
        var script = Path.Combine(RepoRoot(), "samples", "external-shop", "verify-restore.sh");
        var start = new ProcessStartInfo("bash", [script, payload, sig]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["HAPPITRACK_SECRET"] = secret;
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "HappiTrack.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("HappiTrack.sln not found above the test binaries.");
    }
}
