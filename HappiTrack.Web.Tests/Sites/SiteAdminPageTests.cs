using System.Net;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Features.Audit;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Features.Sites;
using HappiTrack.Web.Tests.Admin;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Sites;

/// <summary>/admin/sites and a site's integration page (issue 20): secrets shown once, every action audited.</summary>
public sealed class SiteAdminPageTests
{
    private static async Task<HttpResponseMessage> PostAsync(HttpClient admin, string page, string handler, Dictionary<string, string> form)
    {
        form["__RequestVerificationToken"] = await AdminFactory.AntiforgeryTokenAsync(admin, page);
        return await admin.PostAsync($"{page}?handler={handler}", new FormUrlEncodedContent(form));
    }

    private static Task<List<AuditEntry>> AuditAsync(AdminFactory app, string action) =>
        app.WithDbAsync(db => db.Set<AuditEntry>().AsNoTracking().Where(e => e.Action == action).ToListAsync());

    private static string Value(string html, string id) =>
        new HtmlParser().ParseDocument(html).QuerySelector($"#{id}")?.GetAttribute("value") ?? "";

    [Fact]
    public async Task Register_rotate_and_revoke_show_the_secret_once_store_it_protected_and_are_audited()
    {
        await using var app = new AdminFactory();
        using var admin = await app.AdminClientAsync();

        var registered = await PostAsync(admin, "/admin/sites", "Register", new()
        {
            ["Name"] = "Mug Shop", ["Origins"] = "https://Mugs.example\nhttp://localhost:5173", ["TimeZone"] = "Europe/Berlin",
            ["CartRestoreUrlTemplate"] = "https://mugs.example/cart/restore?p={payload}&s={signature}",
        });
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        var html = await registered.Content.ReadAsStringAsync();
        var key = Value(html, "site-key");
        var secret = Value(html, "site-secret");
        Assert.True(Site.IsWellFormedKey(key), key);
        Assert.StartsWith("hts_", secret);

        var site = await app.WithDbAsync(db => db.Set<Site>().AsNoTracking().SingleAsync(s => s.Key == key));
        Assert.Equal(["https://mugs.example", "http://localhost:5173"], site.Origins);
        Assert.Equal("Europe/Berlin", site.TimeZone);
        Assert.DoesNotContain(secret, site.ProtectedSecret);
        Assert.Equal(secret, app.Services.GetRequiredService<SiteSecrets>().Unprotect(site.ProtectedSecret));
        // Shown once: the list page never carries it again.
        Assert.DoesNotContain(secret, await admin.GetStringAsync("/admin/sites"));
        Assert.DoesNotContain(secret, await admin.GetStringAsync($"/admin/sites/{site.Id}"));
        var created = Assert.Single(await AuditAsync(app, AuditActions.SiteCreate));
        Assert.Equal(AdminFactory.AdminEmail, created.Actor);
        Assert.Equal($"site:{site.Id}", created.Target);
        Assert.DoesNotContain(secret, created.Details);

        var rotated = await PostAsync(admin, "/admin/sites", "Rotate", new() { ["id"] = site.Id.ToString() });
        var newSecret = Value(await rotated.Content.ReadAsStringAsync(), "site-secret");
        Assert.StartsWith("hts_", newSecret);
        Assert.NotEqual(secret, newSecret);
        Assert.Equal(newSecret, app.Services.GetRequiredService<SiteSecrets>().Unprotect(
            await app.WithDbAsync(db => db.Set<Site>().Where(s => s.Id == site.Id).Select(s => s.ProtectedSecret).SingleAsync())));
        Assert.Equal($"site:{site.Id}", Assert.Single(await AuditAsync(app, AuditActions.SiteRotateSecret)).Target);

        var directory = app.Services.GetRequiredService<SiteDirectory>();
        var found = await directory.FindActiveByKeyAsync(key);
        Assert.NotNull(found);
        Assert.True(found.AllowsOrigin("https://mugs.example"));
        Assert.False(found.AllowsOrigin("https://mugs.example.evil"));
        var revoked = await PostAsync(admin, "/admin/sites", "Revoke", new() { ["id"] = site.Id.ToString() });
        Assert.Equal(HttpStatusCode.Redirect, revoked.StatusCode);
        Assert.Null(await directory.FindActiveByKeyAsync(key));
        Assert.Equal($"site:{site.Id}", Assert.Single(await AuditAsync(app, AuditActions.SiteRevoke)).Target);
        // A revoked site cannot get a new secret, and Trusty cannot be revoked.
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(admin, "/admin/sites", "Rotate", new() { ["id"] = site.Id.ToString() })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(admin, "/admin/sites", "Revoke", new() { ["id"] = SiteIds.Trusty.ToString() })).StatusCode);
    }

    [Fact]
    public async Task A_revocation_reaches_another_instances_cache_within_seconds()
    {
        await using var app = new AdminFactory();
        var site = await SiteKit.RegisterAsync(app);
        var directory = app.Services.GetRequiredService<SiteDirectory>();
        Assert.NotNull(await directory.FindActiveByKeyAsync(site.Key));

        // Revoked behind this directory's back, as another instance would.
        await app.WithDbAsync(db => db.Set<Site>().Where(s => s.Id == site.SiteId).ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, DateTime.UtcNow)));
        Assert.NotNull(await directory.FindActiveByKeyAsync(site.Key));
        app.Clock.Advance(SiteDirectory.CacheFor + TimeSpan.FromMilliseconds(1));
        Assert.Null(await directory.FindActiveByKeyAsync(site.Key));
    }

    [Fact]
    public async Task Bad_registrations_get_friendly_messages_and_store_nothing()
    {
        await using var app = new AdminFactory();
        using var admin = await app.AdminClientAsync();

        var response = await PostAsync(admin, "/admin/sites", "Register", new()
        {
            ["Name"] = "", ["Origins"] = "https://shop.example/checkout\n*.example.com", ["TimeZone"] = "Mars/Olympus",
            ["CartRestoreUrlTemplate"] = "https://shop.example/cart",
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var errors = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync())
            .QuerySelectorAll(".field-error").Select(e => e.TextContent.Trim()).Where(t => t.Length > 0).ToList();
        Assert.Contains(errors, e => e.Contains("name", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(errors, e => e.Contains("scheme://host[:port]"));
        Assert.Contains(errors, e => e.Contains("IANA"));
        Assert.Contains(errors, e => e.Contains("{payload}"));
        Assert.Equal(1, await app.WithDbAsync(db => db.Set<Site>().CountAsync()));
        Assert.Empty(await AuditAsync(app, AuditActions.SiteCreate));
    }

    [Fact]
    public async Task Trusty_is_site_1_once_across_restarts_and_an_analyst_cannot_open_sites()
    {
        var path = HappiTrack.Web.Tests.Infrastructure.HappiTrackFactory.NewDatabasePath();
        string key;
        await using (var first = new AdminFactory(path) { DeleteDatabaseOnDispose = false })
        {
            var trusty = await first.WithDbAsync(db => db.Set<Site>().AsNoTracking().SingleAsync());
            Assert.Equal(SiteIds.Trusty, trusty.Id);
            Assert.Equal(SiteSeed.TrustyName, trusty.Name);
            Assert.True(Site.IsWellFormedKey(trusty.Key));
            key = trusty.Key;
            await first.CreateUserAsync("analyst@example.com", "analyst password 1", HappiTrack.Web.Infrastructure.AuthPolicies.AnalystRole);
            using var analyst = await first.SignedInClientAsync("analyst@example.com", "analyst password 1");
            Assert.NotEqual(HttpStatusCode.OK, (await analyst.GetAsync("/admin/sites")).StatusCode);
        }
        await using var second = new AdminFactory(path);
        var sites = await second.WithDbAsync(db => db.Set<Site>().AsNoTracking().ToListAsync());
        Assert.Equal(key, Assert.Single(sites).Key);
        // The next registered site follows it (PostgreSQL's identity was moved past the seeded id).
        Assert.Equal(2, (await SiteKit.RegisterAsync(second)).SiteId);
    }

    [Fact]
    public async Task The_integration_page_shows_the_snippet_a_placeholder_recipe_the_log_and_sends_a_signed_test()
    {
        await using var app = new AdminFactory();
        using var admin = await app.AdminClientAsync();
        var site = await SiteKit.RegisterAsync(app);
        var page = $"/admin/sites/{site.SiteId}";

        var html = await admin.GetStringAsync(page);
        var document = new HtmlParser().ParseDocument(html);
        Assert.Equal($"<script src=\"http://localhost/t.js\" data-site=\"{site.Key}\" defer></script>", document.QuerySelector("#site-snippet")!.GetAttribute("value"));
        var curl = document.QuerySelector("#site-curl")!.TextContent;
        Assert.Contains($"http://localhost/api/sites/{site.Key}/events", curl);
        Assert.Contains(HappiTrack.Web.Areas.Admin.Pages.Sites.IntegrationModel.PlaceholderSecret, curl);
        Assert.DoesNotContain(site.Secret, html);
        Assert.Contains("Nothing received yet", html);

        var tested = await PostAsync(admin, page, "Test", new());
        var after = new HtmlParser().ParseDocument(await tested.Content.ReadAsStringAsync());
        Assert.Equal(SiteEventPipeline.Accepted, after.QuerySelector(".site-test-result")!.GetAttribute("data-verdict"));
        var row = Assert.Single(after.QuerySelectorAll("table.site-requests tbody tr"));
        Assert.Equal(SiteEventPipeline.Accepted, row.GetAttribute("data-verdict"));
        Assert.Contains("test", row.TextContent);
        Assert.Equal($"site:{site.SiteId}", Assert.Single(await AuditAsync(app, AuditActions.SiteTestEvent)).Target);
        // Nothing but the log entry (and its idempotency record) was stored.
        Assert.Equal(0, await app.WithDbAsync(db => db.Events.CountAsync(e => e.SiteId == site.SiteId)));

        // The curl recipe is the real signing scheme: run its HMAC over its body with a real secret and the API accepts it.
        var body = curl.Split('\n').Single(l => l.StartsWith("body=")).Trim()["body='".Length..^1];
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(SiteKit.Signed(site.Key, site.Secret, body, "order-1001-placed"))).StatusCode);
    }

    [Fact]
    public async Task The_cart_restore_url_is_edited_on_the_integration_page_refused_with_a_reason_off_the_shops_origins_and_audited()
    {
        await using var app = new AdminFactory();
        using var admin = await app.AdminClientAsync();
        var site = await SiteKit.RegisterAsync(app, origins: "https://mugs.example\nhttp://localhost:5173");
        var page = $"/admin/sites/{site.SiteId}";
        Task<string?> StoredAsync() => app.WithDbAsync(db => db.Set<Site>().Where(s => s.Id == site.SiteId).Select(s => s.CartRestoreUrlTemplate).SingleAsync());

        foreach (var (template, reason) in new[]
        {
            ("https://mugs.example/cart/restore?p={payload}", "{signature}"),
            ("https://mugs.example/cart/restore?p={payload}&s={signature}&again={payload}", "once each"),
            ("http://mugs.example/cart/restore?p={payload}&s={signature}", "https://"),
            ("https://evil.example/cart/restore?p={payload}&s={signature}", "allowed origins"),
            ("https://mugs.example.evil/restore?p={payload}&s={signature}", "allowed origins"),
            ("https://{payload}.example/?s={signature}", "allowed origins"),
            ("javascript:alert(1)//{payload}{signature}", "absolute https://"),
            ("https://user@mugs.example/restore?p={payload}&s={signature}", "absolute https://"),
        })
        {
            var refused = await PostAsync(admin, page, "CartRestore", new() { ["CartRestoreUrlTemplate"] = template });
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
            var document = new HtmlParser().ParseDocument(await refused.Content.ReadAsStringAsync());
            Assert.Contains(reason, document.QuerySelector("#cart-restore .field-error")!.TextContent);
            Assert.Equal(template, document.QuerySelector("#CartRestoreUrlTemplate")!.GetAttribute("value"));
            Assert.Null(await StoredAsync());
        }
        Assert.Empty(await AuditAsync(app, AuditActions.SiteCartRestore));

        // Plain http only on a loopback origin the site lists (a shop developer's machine).
        foreach (var template in new[] { "http://localhost:5173/cart?p={payload}&s={signature}", "https://mugs.example/cart/restore?payload={payload}&sig={signature}" })
        {
            var saved = new HtmlParser().ParseDocument(await (await PostAsync(admin, page, "CartRestore", new() { ["CartRestoreUrlTemplate"] = template })).Content.ReadAsStringAsync());
            Assert.NotNull(saved.QuerySelector(".site-cart-restore-saved"));
            Assert.Equal(template, await StoredAsync());
        }
        Assert.Equal("https://mugs.example/cart/restore?payload={payload}&sig={signature}",
            new HtmlParser().ParseDocument(await admin.GetStringAsync(page)).QuerySelector("#CartRestoreUrlTemplate")!.GetAttribute("value"));
        Assert.Equal(2, (await AuditAsync(app, AuditActions.SiteCartRestore)).Count);

        // Emptied: back to HappiTrack's cart page. Trusty has no restore URL to set.
        await PostAsync(admin, page, "CartRestore", new() { ["CartRestoreUrlTemplate"] = "" });
        Assert.Null(await StoredAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(admin, $"/admin/sites/{SiteIds.Trusty}", "CartRestore",
            new() { ["CartRestoreUrlTemplate"] = "https://mugs.example/cart/restore?payload={payload}&sig={signature}" })).StatusCode);
    }
}
