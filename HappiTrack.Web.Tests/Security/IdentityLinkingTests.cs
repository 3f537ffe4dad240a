using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Tests.Brain;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Storefront;
using HappiTrack.Web.Tests.Tracking;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Security;

/// <summary>
/// Issue 15 item 3 (SECURITY.md row 15.3, "Identity linking rule"): a tracked link opened in someone else's
/// browser (put on a page, forwarded) must deliver nothing of that person to the link's contact, while a
/// contact opening her own link still gets linked on any device. Over HTTP against the real app, both providers.
/// </summary>
public sealed class IdentityLinkingTests : IAsyncLifetime
{
    private const string ApiToken = "linking-admin-token-0123456789";
    private const string ExitIntent = """{"type":"exit_intent","data":{"ms":9000}}""";
    private readonly HappiTrackFactory _app = new();
    private BrainKit Kit => new(_app);

    public Task InitializeAsync()
    {
        _app.Settings["Admin:ApiToken"] = ApiToken;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private HttpClient Admin() => _app.CreateClient().WithBearer(ApiToken);

    private async Task<(int Id, string TrackedPath)> ContactAsync(string phone, string name)
    {
        var init = await Admin().PostAsJsonAsync("/api/contacts/init", new { phone, name, optIn = true });
        Assert.Equal(HttpStatusCode.Created, init.StatusCode);
        var body = await init.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("contactId").GetInt32(), new Uri(body.GetProperty("trackedUrl").GetString()!).PathAndQuery);
    }

    /// <summary>A person's browser: forms through <see cref="StorefrontBrowser"/>, tracker calls on the same cookies.</summary>
    private sealed class Person(HappiTrackFactory app)
    {
        public StorefrontBrowser Browser { get; } = new(app, userAgent: TrackingHttp.BrowserUserAgent);
        public HttpClient Tracker => field ??= Client();
        private HttpClient Client()
        {
            var client = app.CreateDefaultClient(new Uri("http://localhost"), new CookieContainerHandler(Browser.Cookies));
            client.DefaultRequestHeaders.UserAgent.ParseAdd(TrackingHttp.BrowserUserAgent);
            return client;
        }

        public async Task TrackAsync(params string[] events)
        {
            var json = $$"""{"v":1,"events":[{{string.Join(",", events)}}]}""";
            Assert.Equal(HttpStatusCode.Accepted, (await Tracker.PostAsync("/api/track", new StringContent(json, Encoding.UTF8, "application/json"))).StatusCode);
        }

        public async Task AddToCartAsync(string slug)
        {
            var page = await Browser.GetAsync($"/product/{slug}");
            Assert.Equal(HttpStatusCode.OK, (await Browser.SubmitAsync(page, "form.add-form")).Status);
        }

        public async Task OrderAsync(string slug)
        {
            await AddToCartAsync(slug);
            var checkout = await Browser.GetAsync("/checkout");
            var placed = await Browser.SubmitAsync(checkout, "form.checkout-form",
                new Dictionary<string, string?> { ["Form.Name"] = "Victim", ["Form.Phone"] = "+49 151 70000001" });
            Assert.StartsWith("/orders/", placed.Url);
        }

        public async Task<HttpResponseMessage> OpenAsync(string path) => await Tracker.GetAsync(path);
    }

    [Fact]
    public async Task A_shopper_with_orders_and_a_cart_who_opens_an_attackers_link_gives_the_attacker_nothing()
    {
        var attacker = await ContactAsync("+4915170000099", "Mallory");
        var victim = new Person(_app);
        await victim.TrackAsync("""{"type":"page_view"}""", $$"""{"type":"product_view","slug":"{{BrainKit.Featured}}"}""");
        for (var i = 0; i < 3; i++) await victim.OrderAsync("echo-dot-5"); // three orders: VIP if they moved to a contact
        await victim.AddToCartAsync(BrainKit.Featured);
        var before = victim.Browser.VisitorId!;

        // The attacker's link, e.g. from a page the victim was lured to.
        Assert.Equal(HttpStatusCode.Redirect, (await victim.OpenAsync(attacker.TrackedPath)).StatusCode);
        _app.Clock.Advance(TimeSpan.FromMinutes(45));
        await victim.TrackAsync(ExitIntent);
        await Kit.ProjectAsync();
        await Kit.AbandonedCartsAsync();
        await Kit.ProjectAsync();

        // The victim's browser and everything it held stay anonymous, with her old visitor.
        Assert.NotEqual(before, victim.Browser.VisitorId);
        await _app.WithDbAsync(async db =>
        {
            Assert.Null(await db.Visitors.Where(v => v.Id == before).Select(v => v.ContactId).SingleAsync());
            Assert.False(await db.Events.AnyAsync(e => e.VisitorId == before && e.ContactId != null));
            Assert.Equal(3, await db.Orders.CountAsync(o => o.VisitorId == before && o.ContactId == null));
            Assert.Equal(1, await db.CartLines.CountAsync(l => db.Carts.Any(c => c.Id == l.CartId && c.VisitorId == before)));
            // The attacker's contact: no orders, no VIP, no victim events, no cart, no message of any kind.
            Assert.False(await db.Orders.AnyAsync(o => o.ContactId == attacker.Id));
            Assert.False(await db.Contacts.Where(c => c.Id == attacker.Id).Select(c => c.VipStatus).SingleAsync());
            Assert.False(await db.Events.AnyAsync(e => e.ContactId == attacker.Id && e.Type != "exit_intent"));
            Assert.False(await db.Carts.AnyAsync(c => db.Visitors.Any(v => v.Id == c.VisitorId && v.ContactId == attacker.Id)));
            Assert.False(await db.Set<Nudge>().AnyAsync(n => n.ContactId == attacker.Id));
        });
    }

    [Fact]
    public async Task A_browser_linked_to_its_contact_is_not_re_linked_by_another_contacts_tracked_link()
    {
        var owner = await ContactAsync("+4915170000001", "Amina");
        var attacker = await ContactAsync("+4915170000099", "Mallory");
        var person = new Person(_app);
        await person.OpenAsync(owner.TrackedPath);
        await person.AddToCartAsync(BrainKit.Featured);
        var visitor = person.Browser.VisitorId;

        await person.OpenAsync(attacker.TrackedPath);
        await person.TrackAsync(ExitIntent);

        Assert.Equal(visitor, person.Browser.VisitorId);
        Assert.Equal(owner.Id, await _app.WithDbAsync(db => db.Visitors.Where(v => v.Id == visitor).Select(v => v.ContactId).SingleAsync()));
        Assert.False(await _app.WithDbAsync(db => db.Visitors.AnyAsync(v => v.ContactId == attacker.Id)));
        Assert.True(await _app.WithDbAsync(db => db.Events.AnyAsync(e => e.Type == "exit_intent" && e.ContactId == owner.Id)));
    }

    [Fact]
    public async Task A_contact_opening_her_own_link_is_linked_on_a_fresh_phone_and_on_a_browser_she_used_before()
    {
        var owner = await ContactAsync("+4915170000001", "Amina");

        var phone = new Person(_app);
        Assert.Equal(HttpStatusCode.Redirect, (await phone.OpenAsync(owner.TrackedPath)).StatusCode);
        await phone.TrackAsync("""{"type":"page_view"}""");
        Assert.Equal(owner.Id, await _app.WithDbAsync(db => db.Visitors.Where(v => v.Id == phone.Browser.VisitorId).Select(v => v.ContactId).SingleAsync()));

        var laptop = new Person(_app);
        await laptop.TrackAsync("""{"type":"page_view"}""");
        await laptop.OpenAsync(owner.TrackedPath);
        await laptop.TrackAsync("""{"type":"page_view"}""");
        Assert.Equal(owner.Id, await _app.WithDbAsync(db => db.Visitors.Where(v => v.Id == laptop.Browser.VisitorId).Select(v => v.ContactId).SingleAsync()));
        Assert.Equal(2, await _app.WithDbAsync(db => db.Events.CountAsync(e => e.ContactId == owner.Id)));
        // Opening it again later keeps the same visitor (it is already hers).
        var linked = laptop.Browser.VisitorId;
        await laptop.OpenAsync(owner.TrackedPath);
        Assert.Equal(linked, laptop.Browser.VisitorId);
    }

    [Fact]
    public async Task An_attackers_rescue_link_opened_by_a_shopper_with_a_cart_leaves_her_cart_alone_and_restores_only_his_own()
    {
        var attacker = await ContactAsync("+4915170000099", "Mallory");
        var own = new Person(_app);
        await own.OpenAsync(attacker.TrackedPath);
        await own.AddToCartAsync("echo-dot-5");
        await own.TrackAsync(ExitIntent);
        await Kit.ProjectAsync();
        var rescue = (await Kit.NudgesAsync(attacker.Id)).Single(n => n.Kind == NudgeKinds.CartRescue);

        var victim = new Person(_app);
        await victim.AddToCartAsync(BrainKit.Featured);
        var before = victim.Browser.VisitorId!;
        Assert.Equal(HttpStatusCode.Redirect, (await victim.OpenAsync(new Uri(rescue.Link).PathAndQuery)).StatusCode);

        var after = victim.Browser.VisitorId!;
        Assert.NotEqual(before, after);
        await _app.WithDbAsync(async db =>
        {
            Assert.Null(await db.Visitors.Where(v => v.Id == before).Select(v => v.ContactId).SingleAsync());
            var kept = await db.CartLines.Where(l => db.Carts.Any(c => c.Id == l.CartId && c.VisitorId == before)).Select(l => l.ProductId).ToListAsync();
            Assert.Equal([await Kit.ProductIdAsync(BrainKit.Featured)], kept);
            var restored = await db.CartLines.Where(l => db.Carts.Any(c => c.Id == l.CartId && c.VisitorId == after)).Select(l => l.ProductId).ToListAsync();
            Assert.Equal([await Kit.ProductIdAsync("echo-dot-5")], restored);
        });
    }
}
