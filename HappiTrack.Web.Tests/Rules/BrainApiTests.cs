using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Tracking;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Brain;

public class BrainApiTests : IAsyncLifetime
{
    private const string ApiToken = "test-admin-token-0123456789";
    private readonly HappiTrackFactory _app = new();
    private BrainKit Kit => new(_app);

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

    private async Task<(int ContactId, string Visitor)> ShopperWithNudgesAsync()
    {
        var contact = await Kit.ContactAsync();
        var visitor = await Kit.VisitorAsync(contact.Id);
        await Kit.EventAsync(visitor, EventTypes.ProductView, BrainKit.Featured);
        await Kit.EventAsync(visitor, EventTypes.LingerSpecs, BrainKit.Featured);
        await Kit.AddToCartAsync(visitor, BrainKit.Featured);
        await Kit.EventAsync(visitor, EventTypes.ExitIntent);
        await Kit.ProjectAsync();
        return (contact.Id, visitor);
    }

    [Fact]
    public async Task Nudges_are_listed_and_filtered_by_contact_kind_and_status()
    {
        var (contactId, _) = await ShopperWithNudgesAsync();
        var client = Admin();

        var all = await client.GetFromJsonAsync<JsonElement>($"/api/nudges?contactId={contactId}");
        Assert.Equal(2, all.GetArrayLength());
        var rescue = await client.GetFromJsonAsync<JsonElement>($"/api/nudges?contactId={contactId}&kind=cart_rescue&status=deferred");
        var row = Assert.Single(rescue.EnumerateArray());
        foreach (var field in new[] { "id", "contactId", "kind", "status", "message", "link", "token", "createdAt", "sendAfter", "sentAt", "attempts", "lastError" })
            Assert.True(row.TryGetProperty(field, out _), field);
        Assert.Equal("cap", row.GetProperty("reason").GetString());
        Assert.Empty((await client.GetFromJsonAsync<JsonElement>("/api/nudges?kind=vip_upgrade")).EnumerateArray());
    }

    [Theory]
    [InlineData("kind=spam", "kind")]
    [InlineData("status=lost", "status")]
    [InlineData("contactId=abc", "contactId")]
    [InlineData("contactId=-1", "contactId")]
    [InlineData("limit=100000", "limit")]
    public async Task A_bad_nudge_filter_is_a_problem_naming_it(string query, string field)
    {
        var response = await Admin().GetAsync("/api/nudges?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task The_admin_apis_refuse_anonymous_and_wrong_tokens()
    {
        var anonymous = _app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/nudges")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/contacts/1")).StatusCode);
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "guess");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/contacts/1")).StatusCode);
    }

    [Fact]
    public async Task A_contact_profile_has_every_list_field_scores_tokens_and_recent_events()
    {
        var (contactId, visitor) = await ShopperWithNudgesAsync();
        var profile = await Admin().GetFromJsonAsync<JsonElement>($"/api/contacts/{contactId}");

        foreach (var field in new[] { "id", "phone", "name", "generalInterestScore", "topTags", "mostDesiredProduct", "purchases", "vipStatus", "optedIn", "optedOut", "lastSeenAt", "tagScores", "productScores", "tokens", "recentEvents" })
            Assert.True(profile.TryGetProperty(field, out _), field);
        Assert.Equal(70, profile.GetProperty("generalInterestScore").GetDouble(), 2);
        Assert.Equal(BrainKit.Featured, profile.GetProperty("mostDesiredProduct").GetProperty("slug").GetString());
        Assert.Equal(3, profile.GetProperty("topTags").GetArrayLength());
        Assert.Contains("gaming", profile.GetProperty("tagScores").EnumerateArray().Select(t => t.GetProperty("slug").GetString()));
        Assert.Equal(4, profile.GetProperty("recentEvents").GetArrayLength());
        Assert.Equal(2, profile.GetProperty("tokens").GetArrayLength());
        Assert.DoesNotContain("\"hash\"", profile.GetRawText(), StringComparison.OrdinalIgnoreCase);

        // Decay applies at read time: two half-lives later the score is a quarter.
        _app.Clock.Advance(TimeSpan.FromDays(28));
        var later = await Admin().GetFromJsonAsync<JsonElement>($"/api/contacts/{contactId}");
        Assert.Equal(17.5, later.GetProperty("generalInterestScore").GetDouble(), 2);

        await Kit.PlaceOrderAsync(visitor, BrainKit.Featured, contactId);
        var bought = await Admin().GetFromJsonAsync<JsonElement>($"/api/contacts/{contactId}");
        Assert.Equal(1, bought.GetProperty("purchases").GetInt32());
        Assert.Equal(JsonValueKind.Null, bought.GetProperty("mostDesiredProduct").ValueKind);
    }

    [Theory]
    [InlineData("abc", 400)]
    [InlineData("0", 400)]
    [InlineData("99999", 404)]
    public async Task An_unknown_or_malformed_contact_id_is_a_problem(string id, int status)
    {
        var response = await Admin().GetAsync($"/api/contacts/{id}");
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task A_rescue_link_opened_in_a_fresh_browser_links_it_restores_the_cart_and_goes_to_checkout_with_the_token()
    {
        var (contactId, _) = await ShopperWithNudgesAsync();
        var rescue = (await Kit.NudgesAsync(contactId)).Single(n => n.Kind == NudgeKinds.CartRescue);
        var fresh = _app.CreateBrowserClient(handleCookies: false, allowRedirects: false);

        var response = await fresh.GetAsync(new Uri(rescue.Link).PathAndQuery);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"/checkout?token={rescue.TokenValue}", response.Headers.Location!.OriginalString);
        var cookie = response.Headers.GetValues("Set-Cookie").First(c => c.StartsWith(VisitorCookie.Name + "="));
        var visitorId = cookie.Split(';')[0][(VisitorCookie.Name.Length + 1)..];
        var (linkedTo, lines, clickedAt) = await _app.WithDbAsync(async db => (
            await db.Visitors.Where(v => v.Id == visitorId).Select(v => v.ContactId).SingleAsync(),
            await db.CartLines.Where(l => db.Carts.Any(c => c.Id == l.CartId && c.VisitorId == visitorId)).Select(l => new { l.ProductId, l.Quantity }).ToListAsync(),
            await db.Set<Nudge>().Where(n => n.Id == rescue.Id).Select(n => n.ClickedAt).SingleAsync()));
        Assert.Equal(contactId, linkedTo);
        var line = Assert.Single(lines);
        Assert.Equal((await Kit.ProductIdAsync(BrainKit.Featured), 1), (line.ProductId, line.Quantity));
        Assert.Equal(Kit.Now, clickedAt);

        // Following it again does not double the cart.
        fresh.DefaultRequestHeaders.Add("Cookie", $"{VisitorCookie.Name}={visitorId}");
        await fresh.GetAsync(new Uri(rescue.Link).PathAndQuery);
        Assert.Equal(1, await _app.WithDbAsync(db => db.CartLines.Where(l => db.Carts.Any(c => c.Id == l.CartId && c.VisitorId == visitorId)).SumAsync(l => l.Quantity)));
    }

    [Fact]
    public async Task An_interest_link_goes_to_the_product_page()
    {
        var (contactId, _) = await ShopperWithNudgesAsync();
        var interest = (await Kit.NudgesAsync(contactId)).Single(n => n.Kind == NudgeKinds.InterestDiscount);
        var client = _app.CreateBrowserClient(handleCookies: false, allowRedirects: false);
        var response = await client.GetAsync(new Uri(interest.Link).PathAndQuery);
        Assert.Equal($"/product/{BrainKit.Featured}", response.Headers.Location!.OriginalString);
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(NudgeLinks.OfferCookie + "=" + interest.TokenValue));
    }

    [Theory]
    [InlineData("/r/AAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("/r/short")]
    [InlineData("/r/%27%20OR%201%3D1")]
    public async Task Unknown_nudge_links_are_a_plain_404(string path)
    {
        var response = await _app.CreateClient().GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
