using System.Net;
using System.Text;
using System.Text.Json;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Features.Sites;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Brain;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Sites;

/// <summary><c>POST /api/sites/{key}/events</c> (issue 20): signed, idempotent, bounded, and stored as the site's own.</summary>
public sealed class SiteEventsApiTests
{
    private sealed record Counts(int Orders, int Products, int Events, int Contacts, int Keys);

    private static Task<Counts> CountsAsync(HappiTrackFactory app) => app.WithDbAsync(async db => new Counts(
        await db.Orders.CountAsync(), await db.Products.CountAsync(), await db.Events.CountAsync(), await db.Contacts.CountAsync(),
        await db.Set<SiteIdempotencyKey>().CountAsync()));

    private static Task<List<SiteRequest>> LogAsync(HappiTrackFactory app, int siteId) =>
        app.WithDbAsync(db => db.Set<SiteRequest>().AsNoTracking().Where(r => r.SiteId == siteId).OrderBy(r => r.Id).ToListAsync());

    [Fact]
    public async Task A_signed_order_is_stored_as_the_sites_order_with_its_contact_and_opt_in()
    {
        await using var app = new HappiTrackFactory();
        var site = await SiteKit.RegisterAsync(app);
        using var client = app.CreateClient();

        var response = await SiteKit.PostAsync(client, site, SiteKit.Order("A-1", "0049 151 2345 6789", optIn: true, ("blue-mug", 12.50m, 2)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var order = await app.WithDbAsync(db => db.Orders.Include(o => o.Lines).AsNoTracking().SingleAsync(o => o.ExternalId == "A-1"));
        Assert.Equal(site.SiteId, order.SiteId);
        Assert.Equal(2500, order.TotalCents);
        Assert.Equal("+4915123456789", order.Phone);
        var contact = await app.WithDbAsync(db => db.Contacts.AsNoTracking().SingleAsync(c => c.Phone == "+4915123456789"));
        Assert.Equal(contact.Id, order.ContactId);
        Assert.Equal(site.SiteId, contact.SiteId);
        Assert.True(contact.OptedIn);
        Assert.Equal($"site:{site.Key} order", contact.OptInSource);
        var purchase = await app.WithDbAsync(db => db.Events.AsNoTracking().SingleAsync(e => e.Type == EventTypes.Purchase));
        Assert.Equal(site.SiteId, purchase.SiteId);
        Assert.Equal(contact.Id, purchase.ContactId);
        var product = await app.WithDbAsync(db => db.Products.AsNoTracking().SingleAsync(p => p.Id == order.Lines[0].ProductId));
        Assert.Equal(site.SiteId, product.SiteId);
        Assert.Equal(SiteEventPipeline.Accepted, Assert.Single(await LogAsync(app, site.SiteId)).Verdict);
    }

    [Fact]
    public async Task Three_signed_orders_for_one_phone_make_the_contact_vip()
    {
        await using var app = new HappiTrackFactory();
        var site = await SiteKit.RegisterAsync(app);
        using var client = app.CreateClient();
        var brain = new BrainKit(app);

        for (var i = 1; i <= 3; i++)
        {
            // Any format the shop stored: each is the same person.
            var phone = i == 2 ? "+49 (151) 2345-6789" : "+4915123456789";
            Assert.Equal(HttpStatusCode.OK, (await SiteKit.PostAsync(client, site, SiteKit.Order($"V-{i}", phone, false, ("blue-mug", 10m, 1)))).StatusCode);
            await brain.ProjectAsync();
            var vip = await app.WithDbAsync(db => db.Contacts.AsNoTracking().Where(c => c.Phone == "+4915123456789").Select(c => c.VipStatus).SingleAsync());
            Assert.Equal(i == 3, vip);
        }
    }

    [Fact]
    public async Task A_cancelled_order_no_longer_counts_towards_vip()
    {
        await using var app = new HappiTrackFactory();
        var site = await SiteKit.RegisterAsync(app);
        using var client = app.CreateClient();
        var brain = new BrainKit(app);

        await SiteKit.PostAsync(client, site, SiteKit.Order("C-1", "+4915123456789", false, ("blue-mug", 10m, 1)));
        await SiteKit.PostAsync(client, site, SiteKit.Order("C-2", "+4915123456789", false, ("blue-mug", 10m, 1)));
        Assert.Equal(HttpStatusCode.OK, (await SiteKit.PostAsync(client, site, new { type = "order_cancelled", data = new { order_id = "C-2" } })).StatusCode);
        await SiteKit.PostAsync(client, site, SiteKit.Order("C-3", "+4915123456789", false, ("blue-mug", 10m, 1)));
        await brain.ProjectAsync();

        Assert.False(await app.WithDbAsync(db => db.Contacts.Where(c => c.Phone == "+4915123456789").Select(c => c.VipStatus).SingleAsync()));
        Assert.NotNull(await app.WithDbAsync(db => db.Orders.Where(o => o.ExternalId == "C-2").Select(o => o.CancelledAt).SingleAsync()));
        var unknown = await SiteKit.PostAsync(client, site, new { type = "order_cancelled", data = new { order_id = "nope" } });
        await SiteKit.AssertProblemAsync(unknown, 404);
    }

    [Fact]
    public async Task Product_upserted_creates_then_updates_a_product_of_that_site_only()
    {
        await using var app = new HappiTrackFactory();
        var a = await SiteKit.RegisterAsync(app, "Shop A", "https://a.example");
        var b = await SiteKit.RegisterAsync(app, "Shop B", "https://b.example");
        using var client = app.CreateClient();
        var trustyBefore = await app.WithDbAsync(db => db.Products.CountAsync(p => p.SiteId == SiteIds.Trusty));
        // The same slug as one of Trusty's products: it must not touch Trusty's catalogue.
        const string slug = BrainKit.Featured;

        object Upsert(string name, decimal price, params string[] tags) => new
        {
            type = "product_upserted",
            data = new { slug, name, price, tags, url = $"https://a.example/p/{slug}", image_url = "https://a.example/img/1.png" },
        };
        Assert.Equal(HttpStatusCode.OK, (await SiteKit.PostAsync(client, a, Upsert("Laptop A", 999.99m, "Gaming", "Sale"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SiteKit.PostAsync(client, a, Upsert("Laptop A v2", 899m, "Gaming"))).StatusCode);

        var products = await app.WithDbAsync(db => db.Products.Include(p => p.Tags).AsNoTracking().Where(p => p.Slug == slug).ToListAsync());
        Assert.Equal(2, products.Count);
        var mine = Assert.Single(products, p => p.SiteId == a.SiteId);
        Assert.Equal("Laptop A v2", mine.Name);
        Assert.Equal(89900, mine.PriceCents);
        Assert.Equal("https://a.example/p/" + slug, mine.ExternalUrl);
        Assert.Equal(["gaming"], mine.Tags.Select(t => t.Slug));
        Assert.All(mine.Tags, t => Assert.Equal(a.SiteId, t.SiteId));
        var trusty = Assert.Single(products, p => p.SiteId == SiteIds.Trusty);
        Assert.NotEqual("Laptop A v2", trusty.Name);
        Assert.Equal(trustyBefore, await app.WithDbAsync(db => db.Products.CountAsync(p => p.SiteId == SiteIds.Trusty)));
        Assert.Equal(0, await app.WithDbAsync(db => db.Products.CountAsync(p => p.SiteId == b.SiteId)));
        // Trusty's storefront still sells its own product under that slug, and only it.
        var page = await client.GetStringAsync($"/product/{slug}");
        Assert.DoesNotContain("Laptop A v2", page);
    }

    [Fact]
    public async Task Orders_of_site_a_carry_site_a_and_trustys_checkout_stays_site_1()
    {
        await using var app = new HappiTrackFactory();
        var a = await SiteKit.RegisterAsync(app, "Shop A", "https://a.example");
        var b = await SiteKit.RegisterAsync(app, "Shop B", "https://b.example");
        using var client = app.CreateClient();
        var brain = new BrainKit(app);

        await SiteKit.PostAsync(client, a, SiteKit.Order("same-id", "+4915123456789", false, ("mug", 5m, 1)));
        await SiteKit.PostAsync(client, b, SiteKit.Order("same-id", "+4915123456780", false, ("mug", 6m, 1)));
        // Trusty's own checkout, end to end through its services: everything it writes stays site 1.
        var visitor = await brain.VisitorAsync();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var productId = await brain.ProductIdAsync(BrainKit.Featured);
            Assert.True((await scope.ServiceProvider.GetRequiredService<CartService>().AddAsync(visitor, productId, 1)).Succeeded);
            var placed = await scope.ServiceProvider.GetRequiredService<HappiTrack.Web.Features.Checkout.CheckoutService>()
                .PlaceOrderAsync(visitor, new HappiTrack.Web.Features.Checkout.CheckoutRequest("Amina", "+4915112345678", true, null));
            Assert.True(placed.Succeeded);
        }

        var orders = await app.WithDbAsync(db => db.Orders.AsNoTracking().ToListAsync());
        Assert.Equal(a.SiteId, orders.Single(o => o.TotalCents == 500).SiteId);
        Assert.Equal(b.SiteId, orders.Single(o => o.TotalCents == 600).SiteId);
        var trustyOrder = orders.Single(o => o.ExternalId is null);
        Assert.Equal(SiteIds.Trusty, trustyOrder.SiteId);
        var trustyEvents = await app.WithDbAsync(db => db.Events.AsNoTracking().Where(e => e.VisitorId == visitor).ToListAsync());
        Assert.Contains(trustyEvents, e => e.Type == EventTypes.Purchase);
        Assert.All(trustyEvents, e => Assert.Equal(SiteIds.Trusty, e.SiteId));
        Assert.Equal(SiteIds.Trusty, await app.WithDbAsync(db => db.Contacts.Where(c => c.Phone == "+4915112345678").Select(c => c.SiteId).SingleAsync()));
        Assert.Equal(SiteIds.Trusty, await app.WithDbAsync(db => db.Carts.Where(c => c.VisitorId == visitor).Select(c => c.SiteId).SingleAsync()));
    }

    [Fact]
    public async Task A_replayed_idempotency_key_returns_the_first_answer_and_stores_nothing_new()
    {
        await using var app = new HappiTrackFactory();
        var site = await SiteKit.RegisterAsync(app);
        using var client = app.CreateClient();
        var body = JsonSerializer.Serialize(SiteKit.Order("R-1", "+4915123456789", false, ("mug", 5m, 1)));

        var first = await client.SendAsync(SiteKit.Signed(site.Key, site.Secret, body, "key-1"));
        var before = await CountsAsync(app);
        var replay = await client.SendAsync(SiteKit.Signed(site.Key, site.Secret, body, "key-1"));

        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await replay.Content.ReadAsStringAsync());
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(before, await CountsAsync(app));

        // The same key with another body is a client bug, not a replay.
        var other = JsonSerializer.Serialize(SiteKit.Order("R-2", "+4915123456789", false, ("mug", 5m, 1)));
        await SiteKit.AssertProblemAsync(await client.SendAsync(SiteKit.Signed(site.Key, site.Secret, other, "key-1")), 422);
        Assert.Equal(before, await CountsAsync(app));
        Assert.Equal([SiteEventPipeline.Accepted, SiteEventPipeline.Replayed, SiteEventPipeline.Rejected], (await LogAsync(app, site.SiteId)).Select(r => r.Verdict));
    }

    [Fact]
    public async Task Bad_missing_or_stale_signatures_are_refused_and_nothing_is_stored()
    {
        await using var app = new HappiTrackFactory();
        var site = await SiteKit.RegisterAsync(app);
        using var client = app.CreateClient();
        var body = JsonSerializer.Serialize(SiteKit.Order("S-1", "+4915123456789", false, ("mug", 5m, 1)));
        var before = await CountsAsync(app);

        await SiteKit.AssertProblemAsync(await client.SendAsync(SiteKit.Signed(site.Key, "hts_not-the-secret", body)), 401);
        var tampered = SiteKit.Signed(site.Key, site.Secret, body.Replace("S-1", "S-2"), signature: SiteEventPipeline.Sign(Encoding.UTF8.GetBytes(body), site.Secret));
        await SiteKit.AssertProblemAsync(await client.SendAsync(tampered), 401);
        var unsigned = SiteKit.Signed(site.Key, site.Secret, body);
        unsigned.Headers.Remove(SiteEventPipeline.SignatureHeader);
        await SiteKit.AssertProblemAsync(await client.SendAsync(unsigned), 401);
        await SiteKit.AssertProblemAsync(await client.SendAsync(SiteKit.Signed(site.Key, site.Secret, body, signature: "sha256=zz")), 401);
        var noKey = SiteKit.Signed(site.Key, site.Secret, body);
        noKey.Headers.Remove(SiteEventPipeline.IdempotencyHeader);
        await SiteKit.AssertProblemAsync(await client.SendAsync(noKey), 400);

        Assert.Equal(before, await CountsAsync(app));
        var log = await LogAsync(app, site.SiteId);
        Assert.Equal(5, log.Count);
        Assert.All(log, r => Assert.Equal(SiteEventPipeline.Rejected, r.Verdict));
        Assert.All(log, r => Assert.Equal(SiteEventTypes.OrderPlaced, r.EventType));

        // A rotated secret takes over at once: the old one is refused, the new one works.
        SiteCredentials rotated;
        await using (var scope = app.Services.CreateAsyncScope())
            rotated = (await scope.ServiceProvider.GetRequiredService<SiteAdmin>().RotateSecretAsync(site.SiteId))!;
        await SiteKit.AssertProblemAsync(await client.SendAsync(SiteKit.Signed(site.Key, site.Secret, body)), 401);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(SiteKit.Signed(site.Key, rotated.Secret, body))).StatusCode);
    }

    [Fact]
    public async Task Unknown_or_revoked_keys_oversized_and_malformed_bodies_get_problems_and_store_nothing()
    {
        await using var app = new HappiTrackFactory();
        var site = await SiteKit.RegisterAsync(app);
        var revoked = await SiteKit.RegisterAsync(app, "Gone", "https://gone.example");
        await using (var scope = app.Services.CreateAsyncScope())
            Assert.True(await scope.ServiceProvider.GetRequiredService<SiteAdmin>().RevokeAsync(revoked.SiteId));
        using var client = app.CreateClient();
        var body = JsonSerializer.Serialize(SiteKit.Order("X-1", "+4915123456789", false, ("mug", 5m, 1)));
        var before = await CountsAsync(app);

        await SiteKit.AssertProblemAsync(await client.SendAsync(SiteKit.Signed("AAAAAAAAAAAAAAAAAAAA", site.Secret, body)), 404);
        await SiteKit.AssertProblemAsync(await client.SendAsync(SiteKit.Signed("key%20with%20spaces", site.Secret, body)), 404);
        await SiteKit.AssertProblemAsync(await client.SendAsync(SiteKit.Signed(revoked.Key, revoked.Secret, body)), 403);
        var huge = JsonSerializer.Serialize(new { type = "test", data = new { pad = new string('x', SiteEventPipeline.MaxBodyBytes) } });
        await SiteKit.AssertProblemAsync(await client.SendAsync(SiteKit.Signed(site.Key, site.Secret, huge)), 413);
        foreach (var malformed in new[]
        {
            "not json", "[]", """{"type":"order_shipped","data":{}}""",
            """{"type":"order_placed","data":{"order_id":"X-1","phone":"12","total":1,"lines":[{"slug":"mug","qty":1}]}}""",
            """{"type":"order_placed","data":{"order_id":"X-1","phone":"+4915123456789","total":1.234,"lines":[{"slug":"mug","qty":1}]}}""",
            """{"type":"order_placed","data":{"order_id":"X-1","phone":"+4915123456789","total":1,"lines":[{"slug":"Mug!","qty":1}]}}""",
            """{"type":"order_placed","data":{"order_id":"X-1","phone":"+4915123456789","total":1,"lines":[]}}""",
            """{"type":"product_upserted","data":{"slug":"mug","name":"Mug","price":-1}}""",
            """{"type":"product_upserted","data":{"slug":"mug","name":"Mug","price":1,"url":"javascript:alert(1)"}}""",
            """{"type":"cart_updated","data":{"lines":[]}}""",
        })
        {
            var response = await client.SendAsync(SiteKit.Signed(site.Key, site.Secret, malformed));
            await SiteKit.AssertProblemAsync(response, 400);
        }

        Assert.Equal(before, await CountsAsync(app));
        Assert.Equal(403, Assert.Single(await LogAsync(app, revoked.SiteId)).StatusCode);
        Assert.Equal(11, (await LogAsync(app, site.SiteId)).Count);
    }

    [Fact]
    public async Task The_request_log_keeps_only_the_last_entries_per_site()
    {
        await using var app = new HappiTrackFactory();
        var site = await SiteKit.RegisterAsync(app);
        await app.WithDbAsync(async db =>
        {
            for (var i = 0; i < SiteRequest.Keep; i++)
                db.Add(new SiteRequest { SiteId = site.SiteId, ReceivedAt = app.Clock.GetUtcNow().UtcDateTime, Verdict = "rejected", StatusCode = 401 });
            await db.SaveChangesAsync();
        });
        using var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await SiteKit.PostAsync(client, site, new { type = "test" })).StatusCode);

        var log = await LogAsync(app, site.SiteId);
        Assert.Equal(SiteRequest.Keep, log.Count);
        Assert.Equal(SiteEventPipeline.Accepted, log[^1].Verdict);
    }

    [Fact]
    public async Task Cart_updated_sets_the_sites_cart_to_the_lines_sent()
    {
        await using var app = new HappiTrackFactory();
        var site = await SiteKit.RegisterAsync(app);
        using var client = app.CreateClient();
        var visitor = VisitorCookie.NewId();

        object Cart(params (string Slug, int Qty)[] lines) => new
        {
            type = "cart_updated",
            data = new { visitor_id = visitor, lines = lines.Select(l => new { slug = l.Slug, qty = l.Qty, price = 3.5m }).ToArray() },
        };
        Assert.Equal(HttpStatusCode.OK, (await SiteKit.PostAsync(client, site, Cart(("mug", 2), ("tea", 1)))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SiteKit.PostAsync(client, site, Cart(("mug", 1)))).StatusCode);

        var cart = await app.WithDbAsync(db => db.Carts.Include(c => c.Lines).AsNoTracking().SingleAsync(c => c.VisitorId == visitor));
        Assert.Equal(site.SiteId, cart.SiteId);
        var line = Assert.Single(cart.Lines);
        Assert.Equal(1, line.Quantity);
        var events = await app.WithDbAsync(db => db.Events.AsNoTracking().Where(e => e.VisitorId == visitor).OrderBy(e => e.Id).ToListAsync());
        Assert.Equal([EventTypes.AddToCart, EventTypes.AddToCart, EventTypes.RemoveFromCart, EventTypes.RemoveFromCart], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal(site.SiteId, e.SiteId));
    }
}
