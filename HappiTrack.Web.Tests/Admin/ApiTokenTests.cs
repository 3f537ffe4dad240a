using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Admin;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Admin;

public sealed class ApiTokenTests : IAsyncLifetime
{
    private const string ProtectedApi = "/api/admin/api-tokens";
    private readonly AdminFactory _factory = new();
    private HttpClient _admin = null!;

    public async Task InitializeAsync() => _admin = await _factory.AdminClientAsync();
    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task<HttpResponseMessage> GetWithBearerAsync(string token)
    {
        var client = _factory.NewClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.GetAsync("/api/admin/me");
    }

    private async Task<AdminApiCaller> CallerAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<AdminApiCaller>())!;
    }

    /// <summary>Creates a named token through the page, the way an admin does, and reads the secret shown once.</summary>
    private async Task<string> CreateThroughPageAsync(string name)
    {
        var token = await AdminFactory.AntiforgeryTokenAsync(_admin, "/admin/api-tokens");
        var response = await _admin.PostAsync("/admin/api-tokens?handler=Create", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Name"] = name,
            ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString());
        var document = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        return document.QuerySelector("#new-token")!.GetAttribute("value")!;
    }

    [Fact]
    public async Task A_named_token_is_shown_once_stored_only_as_a_hash_and_authenticates()
    {
        var secret = await CreateThroughPageAsync("WhatsApp bot");

        Assert.StartsWith(ApiTokenService.SecretPrefix, secret);
        Assert.True(secret.Length >= ApiTokenService.SecretPrefix.Length + 43, "256 random bits in base64url");
        var listing = await _admin.GetStringAsync("/admin/api-tokens");
        Assert.Contains("WhatsApp bot", listing);
        Assert.DoesNotContain(secret, listing);
        var stored = await _factory.WithDbAsync(db => db.ApiTokens.SingleAsync());
        Assert.Equal(ApiTokenService.Hash(secret), stored.TokenHash);
        Assert.Null(stored.LastUsedAt);

        var caller = await CallerAsync(await GetWithBearerAsync(secret));
        Assert.Equal("api-token:WhatsApp bot", caller.Name);
        Assert.Equal("bearer", caller.AuthenticatedBy);
        Assert.Equal(["Admin"], caller.Roles);

        var used = await _factory.WithDbAsync(db => db.ApiTokens.SingleAsync());
        Assert.Equal(_factory.Clock.GetUtcNow().UtcDateTime, used.LastUsedAt);
    }

    [Fact]
    public async Task Last_used_is_written_at_most_once_a_minute()
    {
        var secret = await CreateThroughPageAsync("poller");
        await GetWithBearerAsync(secret);
        var first = _factory.Clock.GetUtcNow().UtcDateTime;

        _factory.Clock.Advance(TimeSpan.FromSeconds(30));
        await GetWithBearerAsync(secret);
        Assert.Equal(first, (await _factory.WithDbAsync(db => db.ApiTokens.SingleAsync())).LastUsedAt);

        _factory.Clock.Advance(TimeSpan.FromSeconds(31));
        await GetWithBearerAsync(secret);
        Assert.Equal(_factory.Clock.GetUtcNow().UtcDateTime, (await _factory.WithDbAsync(db => db.ApiTokens.SingleAsync())).LastUsedAt);
    }

    [Fact]
    public async Task A_revoked_token_gets_401_at_once()
    {
        var secret = await CreateThroughPageAsync("retired integration");
        Assert.Equal(HttpStatusCode.OK, (await GetWithBearerAsync(secret)).StatusCode);

        var id = await _factory.WithDbAsync(db => db.ApiTokens.Select(t => t.Id).SingleAsync());
        var antiforgery = await AdminFactory.AntiforgeryTokenAsync(_admin, "/admin/api-tokens");
        var revoke = await _admin.PostAsync($"/admin/api-tokens?handler=Revoke&id={id}",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = antiforgery }));
        Assert.Equal(HttpStatusCode.Redirect, revoke.StatusCode);

        var refused = await GetWithBearerAsync(secret);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Contains(_factory.Logs.Messages, m => m.Contains("Rejected an admin API bearer token"));
        Assert.Contains("revoked", await _admin.GetStringAsync("/admin/api-tokens"));
    }

    [Fact]
    public async Task The_configured_token_authenticates_and_wrong_or_missing_tokens_get_401()
    {
        Assert.Equal("api-token:configuration", (await CallerAsync(await GetWithBearerAsync(AdminFactory.ConfiguredApiToken))).Name);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetWithBearerAsync(AdminFactory.ConfiguredApiToken + "x")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetWithBearerAsync(ApiTokenService.SecretPrefix + "guessed")).StatusCode);
        var anonymous = await _factory.NewClient().GetAsync(ProtectedApi);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task A_bearer_token_cannot_mint_or_list_tokens()
    {
        var client = _factory.NewClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminFactory.ConfiguredApiToken);

        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(ProtectedApi)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync(ProtectedApi, new { name = "persistence" })).StatusCode);
        Assert.Equal(0, await _factory.WithDbAsync(db => db.ApiTokens.CountAsync()));
    }

    [Fact]
    public async Task The_session_cookie_works_on_the_api_and_unsafe_calls_need_the_antiforgery_header()
    {
        Assert.Equal(HttpStatusCode.OK, (await _admin.GetAsync(ProtectedApi)).StatusCode);
        var me = await CallerAsync(await _admin.GetAsync("/api/admin/me"));
        Assert.Equal((AdminFactory.AdminEmail, "session"), (me.Name, me.AuthenticatedBy));

        var forged = await _admin.PostAsJsonAsync(ProtectedApi, new { name = "csrf" });
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("RequestVerificationToken", await forged.Content.ReadAsStringAsync());
        Assert.Equal(0, await _factory.WithDbAsync(db => db.ApiTokens.CountAsync()));

        var request = new HttpRequestMessage(HttpMethod.Post, ProtectedApi) { Content = JsonContent.Create(new { name = "deploy script" }) };
        request.Headers.Add("RequestVerificationToken", await AdminFactory.AntiforgeryTokenAsync(_admin, "/admin/api-tokens"));
        var created = await _admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<CreatedApiTokenResponse>();
        Assert.Equal("deploy script", body!.Name);
        Assert.Equal("api-token:deploy script", (await CallerAsync(await GetWithBearerAsync(body.Token))).Name);
    }

    [Fact]
    public async Task A_blank_token_name_is_a_validation_problem_naming_the_field()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, ProtectedApi) { Content = JsonContent.Create(new { name = "  " }) };
        request.Headers.Add("RequestVerificationToken", await AdminFactory.AntiforgeryTokenAsync(_admin, "/admin/api-tokens"));
        var response = await _admin.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"name\"", await response.Content.ReadAsStringAsync());
    }
}
