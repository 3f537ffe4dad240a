using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Tokens;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Storefront;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Brain;

/// <summary>
/// The prototype's walkthrough end to end over HTTP: the contacts API, the tracked link, the
/// tracker's /api/track, the storefront's cart and checkout, and the brain's jobs on the fake clock.
/// </summary>
public class WalkthroughHttpTests : IAsyncLifetime
{
    private const string ApiToken = "walkthrough-admin-token-0123456789";
    private const string UserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
    private readonly HappiTrackFactory _app = new();
    private BrainKit Kit => new(_app);
    private static int _phone;

    public Task InitializeAsync()
    {
        _app.Settings["Admin:ApiToken"] = ApiToken;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private HttpClient Admin()
    {
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiToken);
        return client;
    }

    /// <summary>A shopper's browser, linked to a new contact by following its tracked link.</summary>
    private sealed record Shopper(int ContactId, StorefrontBrowser Browser, HttpClient Tracker);

    private async Task<Shopper> LinkedShopperAsync(bool optIn = true)
    {
        var phone = $"+4915113{Interlocked.Increment(ref _phone):D6}";
        var init = await Admin().PostAsJsonAsync("/api/contacts/init", new { phone, name = "Amina", optIn });
        Assert.Equal(HttpStatusCode.Created, init.StatusCode);
        var body = await init.Content.ReadFromJsonAsync<JsonElement>();
        var browser = new StorefrontBrowser(_app);
        // The tracker's client shares the browser's cookies and, unlike the form-posting client, sends a
        // browser user agent: known bots are never linked or counted.
        var tracker = _app.CreateDefaultClient(new Uri("http://localhost"), new CookieContainerHandler(browser.Cookies));
        tracker.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
        var landed = await tracker.GetAsync(new Uri(body.GetProperty("trackedUrl").GetString()!).PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, landed.StatusCode);
        Assert.NotNull(browser.VisitorId);
        return new Shopper(body.GetProperty("contactId").GetInt32(), browser, tracker);
    }

    private static async Task TrackAsync(Shopper shopper, params string[] events)
    {
        var json = $$"""{"v":1,"events":[{{string.Join(",", events)}}]}""";
        var response = await shopper.Tracker.PostAsync("/api/track", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private const string FeaturedView = """{"type":"product_view","slug":"lenovo-loq-15"}""";
    private const string FeaturedLinger = """{"type":"linger_specs","slug":"lenovo-loq-15","data":{"ms":4200}}""";
    private const string ExitIntent = """{"type":"exit_intent","data":{"ms":9000}}""";

    private static async Task AddToCartAsync(Shopper shopper, string slug = BrainKit.Featured)
    {
        var page = await shopper.Browser.GetAsync($"/product/{slug}");
        Assert.Equal(HttpStatusCode.OK, (await shopper.Browser.SubmitAsync(page, "form.add-form")).Status);
    }

    private static async Task<StorefrontBrowser.Page> CheckoutAsync(StorefrontBrowser browser, string url = "/checkout", string? token = null)
    {
        var checkout = await browser.GetAsync(url);
        var fields = new Dictionary<string, string?> { ["Form.Name"] = "Amina", ["Form.Phone"] = "+49 151 99999999" };
        if (token is not null) fields["Form.DiscountToken"] = token;
        return await browser.SubmitAsync(checkout, "form.checkout-form", fields);
    }

    private Task<List<JsonElement>> NudgesAsync(int contactId, string? kind = null) =>
        Admin().GetFromJsonAsync<List<JsonElement>>($"/api/nudges?contactId={contactId}" + (kind is null ? "" : $"&kind={kind}"))!;

    [Fact]
    public async Task Lingering_on_the_featured_deal_and_adding_it_crosses_60_and_queues_one_10_percent_nudge()
    {
        var shopper = await LinkedShopperAsync();
        await TrackAsync(shopper, """{"type":"page_view"}""", FeaturedView, FeaturedLinger);
        await Kit.ProjectAsync();
        Assert.Empty(await NudgesAsync(shopper.ContactId));

        await AddToCartAsync(shopper);
        await Kit.ProjectAsync();
        await TrackAsync(shopper, FeaturedLinger);
        await Kit.ProjectAsync();

        var nudge = Assert.Single(await NudgesAsync(shopper.ContactId));
        Assert.Equal(NudgeKinds.InterestDiscount, nudge.GetProperty("kind").GetString());
        Assert.Contains("10%", nudge.GetProperty("message").GetString());
        var profile = await Admin().GetFromJsonAsync<JsonElement>($"/api/contacts/{shopper.ContactId}");
        Assert.True(profile.GetProperty("generalInterestScore").GetDouble() >= 60);
        Assert.Equal(BrainKit.Featured, profile.GetProperty("mostDesiredProduct").GetProperty("slug").GetString());

        // The link leads to the product; the remembered offer then shows at checkout.
        var click = await shopper.Tracker.GetAsync(new Uri(nudge.GetProperty("link").GetString()!).PathAndQuery);
        // A relative lifetime: a browser whose clock disagrees with the server's still keeps the offer for the token's 48 h.
        var offerCookie = click.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(NudgeLinks.OfferCookie + "=", StringComparison.Ordinal));
        Assert.Contains("max-age=172800", offerCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("expires=", offerCookie, StringComparison.OrdinalIgnoreCase);
        var landed = await shopper.Browser.FollowAsync(click, "/");
        Assert.Equal(HttpStatusCode.OK, landed.Status);
        var checkout = await shopper.Browser.GetAsync("/checkout");
        Assert.Contains("Discount (10%)", checkout.One("[data-checkout-discount]")!.TextContent);
        Assert.Equal("€989.10", checkout.One("[data-checkout-total]")!.TextContent);
    }

    [Fact]
    public async Task Exit_intent_with_a_cart_queues_one_rescue_and_checking_out_first_cancels_it()
    {
        var shopper = await LinkedShopperAsync();
        await AddToCartAsync(shopper, "echo-dot-5");
        await TrackAsync(shopper, ExitIntent);
        await TrackAsync(shopper, ExitIntent);
        await Kit.ProjectAsync();
        var rescue = Assert.Single(await NudgesAsync(shopper.ContactId, NudgeKinds.CartRescue));
        Assert.Equal(NudgeStatuses.Queued, rescue.GetProperty("status").GetString());

        var confirmation = await CheckoutAsync(shopper.Browser);
        Assert.Equal(HttpStatusCode.OK, confirmation.Status);
        Assert.StartsWith("/orders/", confirmation.Url);
        await Kit.ProjectAsync();
        Assert.Equal(0, await Kit.DispatchAsync());
        rescue = Assert.Single(await NudgesAsync(shopper.ContactId, NudgeKinds.CartRescue));
        Assert.Equal(NudgeStatuses.Cancelled, rescue.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_rescue_link_in_a_fresh_browser_restores_the_cart_and_applies_the_discount_at_checkout()
    {
        var shopper = await LinkedShopperAsync();
        await AddToCartAsync(shopper, "echo-dot-5");
        await TrackAsync(shopper, ExitIntent);
        await Kit.ProjectAsync();
        var link = Assert.Single(await NudgesAsync(shopper.ContactId, NudgeKinds.CartRescue)).GetProperty("link").GetString()!;

        var phone = new StorefrontBrowser(_app, userAgent: UserAgent);
        var checkout = await phone.FollowAsync(await phone.GetRawAsync(new Uri(link).PathAndQuery), "/");
        Assert.StartsWith("/checkout?token=", checkout.Url);
        Assert.NotNull(checkout.One("tr[data-ht-product='echo-dot-5'], li[data-ht-product='echo-dot-5']"));
        Assert.Contains("Discount (10%)", checkout.One("[data-checkout-discount]")!.TextContent);

        var order = await phone.SubmitAsync(checkout, "form.checkout-form", new Dictionary<string, string?> { ["Form.Name"] = "Amina", ["Form.Phone"] = "+49 151 99999999" });
        Assert.StartsWith("/orders/", order.Url);
        var placed = await _app.WithDbAsync(db => db.Orders.OrderByDescending(o => o.Id).FirstAsync());
        Assert.Equal(placed.SubtotalCents / 10, placed.DiscountCents);
        Assert.Equal(placed.SubtotalCents - placed.DiscountCents, placed.TotalCents);
        Assert.Equal(shopper.ContactId, placed.ContactId);
    }

    [Fact]
    public async Task Three_orders_make_a_vip_whose_50_percent_token_works_once()
    {
        var shopper = await LinkedShopperAsync();
        for (var i = 0; i < 3; i++)
        {
            await AddToCartAsync(shopper, "echo-dot-5");
            Assert.StartsWith("/orders/", (await CheckoutAsync(shopper.Browser)).Url);
        }
        await Kit.ProjectAsync();

        var profile = await Admin().GetFromJsonAsync<JsonElement>($"/api/contacts/{shopper.ContactId}");
        Assert.True(profile.GetProperty("vipStatus").GetBoolean());
        Assert.Equal(3, profile.GetProperty("purchases").GetInt32());
        var vip = Assert.Single(await NudgesAsync(shopper.ContactId, NudgeKinds.VipUpgrade));
        var token = vip.GetProperty("token").GetString()!;
        Assert.Contains("50%", vip.GetProperty("message").GetString());

        await AddToCartAsync(shopper, "echo-dot-5");
        var withToken = await shopper.Browser.GetAsync($"/checkout?token={token}");
        Assert.Contains("Discount (50%)", withToken.One("[data-checkout-discount]")!.TextContent);
        Assert.StartsWith("/orders/", (await CheckoutAsync(shopper.Browser, $"/checkout?token={token}", token)).Url);
        var discounted = await _app.WithDbAsync(db => db.Orders.OrderByDescending(o => o.Id).FirstAsync());
        Assert.Equal(discounted.SubtotalCents / 2, discounted.DiscountCents);

        await AddToCartAsync(shopper, "echo-dot-5");
        var refused = await CheckoutAsync(shopper.Browser, "/checkout", token);
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains(TokenService.UsedMessage, refused.One("#token-error")!.TextContent);
        Assert.Equal(1, await _app.WithDbAsync(db => db.Set<DiscountToken>().CountAsync(t => t.RedeemedAt != null)));
        Assert.Single(await NudgesAsync(shopper.ContactId, NudgeKinds.VipUpgrade));
    }

    [Fact]
    public async Task Expired_tampered_truncated_and_other_contacts_tokens_are_refused_at_checkout_alike()
    {
        var owner = await LinkedShopperAsync();
        var stranger = await LinkedShopperAsync();
        var token = await _app.WithDbAsync(async db =>
        {
            var (_, value) = TokenService.Issue(db, owner.ContactId, 50, TokenScope.Order, Kit.Now, TimeSpan.FromHours(1));
            await db.SaveChangesAsync();
            return value;
        });
        await AddToCartAsync(owner, "echo-dot-5");
        await AddToCartAsync(stranger, "echo-dot-5");

        var tampered = token[..10] + (token[10] == 'x' ? 'y' : 'x') + token[11..];
        foreach (var (browser, code) in new[] { (owner.Browser, tampered), (owner.Browser, token[..^2]), (stranger.Browser, token), (new StorefrontBrowser(_app), token) })
        {
            var page = await browser.GetAsync($"/checkout?token={Uri.EscapeDataString(code)}");
            if (page.One("#token-error") is { } error) Assert.Equal(TokenService.InvalidMessage, error.TextContent.Trim());
            Assert.Null(page.One("[data-checkout-discount]"));
        }
        var strangerOrder = await CheckoutAsync(stranger.Browser, "/checkout", token);
        Assert.Equal(HttpStatusCode.BadRequest, strangerOrder.Status);
        Assert.Equal(TokenService.InvalidMessage, strangerOrder.One("#token-error")!.TextContent.Trim());

        _app.Clock.Advance(TimeSpan.FromHours(1));
        var expired = await CheckoutAsync(owner.Browser, "/checkout", token);
        Assert.Equal(HttpStatusCode.BadRequest, expired.Status);
        Assert.Equal(TokenService.ExpiredMessage, expired.One("#token-error")!.TextContent.Trim());
        Assert.Equal(0, await _app.WithDbAsync(db => db.Orders.CountAsync()));
    }

    [Fact]
    public async Task A_contact_who_did_not_opt_in_gets_nothing()
    {
        var shopper = await LinkedShopperAsync(optIn: false);
        await TrackAsync(shopper, FeaturedView, FeaturedLinger);
        await AddToCartAsync(shopper);
        await TrackAsync(shopper, ExitIntent);
        await Kit.ProjectAsync();
        await Kit.DispatchAsync();
        var nudges = await NudgesAsync(shopper.ContactId);
        Assert.NotEmpty(nudges);
        Assert.All(nudges, n => Assert.Equal(NudgeStatuses.Suppressed, n.GetProperty("status").GetString()));
        Assert.All(nudges, n => Assert.Equal(JsonValueKind.Null, n.GetProperty("token").ValueKind));
    }
}
