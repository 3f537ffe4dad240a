using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Tracking;

public class ContactsApiTests : IAsyncLifetime
{
    private const string Token = "test-admin-token-0123456789";
    private readonly HappiTrackFactory _factory = new() { Settings = { ["Admin:ApiToken"] = Token } };

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private HttpClient AdminClient()
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return client;
    }

    private sealed record InitResponse(int ContactId, string TrackedUrl);

    [Fact]
    public async Task A_new_phone_gets_201_and_the_same_phone_later_gets_200_with_the_same_link()
    {
        var client = AdminClient();
        var created = await client.PostAsJsonAsync("/api/contacts/init", new { phone = "+49 151 1234 5678", name = "Amina", optIn = true });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var first = (await created.Content.ReadFromJsonAsync<InitResponse>())!;
        Assert.Equal($"/api/contacts/{first.ContactId}", created.Headers.Location?.OriginalString);
        Assert.StartsWith("http://localhost/?ht=", first.TrackedUrl);

        _factory.Clock.Advance(TimeSpan.FromHours(1));
        var again = await client.PostAsJsonAsync("/api/contacts/init", new { phone = "004915112345678", name = "Amina K.", optIn = false });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var second = (await again.Content.ReadFromJsonAsync<InitResponse>())!;
        Assert.Equal(first, second);

        var contact = await _factory.WithDbAsync(db => db.Contacts.AsNoTracking().SingleAsync());
        Assert.Equal("+4915112345678", contact.Phone);
        Assert.Equal("Amina K.", contact.Name);
        Assert.True(contact.OptedIn);
        Assert.Equal(HappiTrackFactory.DefaultStart.UtcDateTime, contact.OptedInAt);
        Assert.Equal("api", contact.OptInSource);
        Assert.Equal(HappiTrackFactory.DefaultStart.UtcDateTime, contact.CreatedAt);
        var token = first.TrackedUrl.Split("?ht=")[1];
        Assert.Equal(contact.LinkToken, token);
        Assert.Equal(16, Convert.FromBase64String(token.Replace('-', '+').Replace('_', '/') + "==").Length);
    }

    [Fact]
    public async Task The_tracked_link_opens_the_store_as_the_contact()
    {
        var init = await AdminClient().PostAsJsonAsync("/api/contacts/init", new { phone = "+4915112345678" });
        var body = (await init.Content.ReadFromJsonAsync<InitResponse>())!;

        var browser = _factory.CreateClient(new() { AllowAutoRedirect = false });
        browser.DefaultRequestHeaders.UserAgent.ParseAdd(TrackingHttp.BrowserUserAgent);
        var response = await browser.GetAsync(new Uri(body.TrackedUrl).PathAndQuery);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(body.ContactId, await _factory.WithDbAsync(db => db.Visitors.Select(v => v.ContactId).SingleAsync()));
    }

    [Fact]
    public async Task Opt_in_is_not_recorded_when_false_and_a_contact_opt_out_is_not_overridden()
    {
        var client = AdminClient();
        await client.PostAsJsonAsync("/api/contacts/init", new { phone = "+4915112345678", optIn = false });
        Assert.False(await _factory.WithDbAsync(db => db.Contacts.Select(c => c.OptedIn).SingleAsync()));

        await _factory.WithDbAsync(db => db.Contacts.ExecuteUpdateAsync(s => s.SetProperty(c => c.OptedOut, true)));
        await client.PostAsJsonAsync("/api/contacts/init", new { phone = "+4915112345678", optIn = true });
        var contact = await _factory.WithDbAsync(db => db.Contacts.AsNoTracking().SingleAsync());
        Assert.False(contact.MayBeMessaged);
        Assert.Null(contact.OptedInAt);
    }

    [Fact]
    public async Task The_public_base_url_is_used_when_configured()
    {
        await using var factory = new HappiTrackFactory { Settings = { ["Admin:ApiToken"] = Token, ["Shop:PublicBaseUrl"] = "https://shop.example.com/" } };
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var response = await client.PostAsJsonAsync("/api/contacts/init", new { phone = "+4915112345678" });
        var body = (await response.Content.ReadFromJsonAsync<InitResponse>())!;
        Assert.StartsWith("https://shop.example.com/?ht=", body.TrackedUrl);
    }

    [Theory]
    [InlineData("""{"phone":"12345","name":"A"}""", "phone")]
    [InlineData("""{"phone":"+49 151","name":"A"}""", "phone")]
    [InlineData("""{"phone":"015112345678"}""", "phone")]
    [InlineData("""{"phone":4915112345678}""", "phone")]
    [InlineData("""{"name":"A"}""", "phone")]
    [InlineData("""{"phone":"+4915112345678","name":42}""", "name")]
    [InlineData("""{"phone":"+4915112345678","name":"line\nbreak"}""", "name")]
    [InlineData("""{"phone":"+4915112345678","optIn":"yes"}""", "optIn")]
    [InlineData("""{"phone":"+4915112345678","name":"\ud800"}""", "name")]
    [InlineData("""{"phone":"\ud800"}""", "phone")]
    [InlineData("""{"phone":""", "body")]
    [InlineData("""[]""", "body")]
    public async Task Bad_input_gets_problem_json_naming_the_field(string json, string field)
    {
        var response = await AdminClient().PostAsync("/api/contacts/init", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _));
        Assert.Equal(0, await _factory.WithDbAsync(db => db.Contacts.CountAsync()));
    }

    [Fact]
    public async Task A_name_longer_than_100_characters_is_refused()
    {
        var response = await AdminClient().PostAsJsonAsync("/api/contacts/init", new { phone = "+4915112345678", name = new string('a', 101) });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task Without_the_admin_token_the_answer_is_401(string? token)
    {
        var client = _factory.CreateClient();
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await client.PostAsJsonAsync("/api/contacts/init", new { phone = "+4915112345678" });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await _factory.WithDbAsync(db => db.Contacts.CountAsync()));
    }

    [Fact]
    public async Task Concurrent_inits_of_one_phone_make_one_contact()
    {
        var client = AdminClient();
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            client.PostAsJsonAsync("/api/contacts/init", new { phone = "+4915112345678", optIn = true })));
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK));
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(1, await _factory.WithDbAsync(db => db.Contacts.CountAsync()));
    }
}
