using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using HappiTrack.Web.Features.Admin;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Admin;

/// <summary>Issue 15 item 5: an API token ends with its creator's access.</summary>
public sealed class ApiTokenLifetimeTests : IAsyncLifetime
{
    private const string LeaverEmail = "leaver@example.com";
    private const string LeaverPassword = "leaving password";
    private readonly AdminFactory _factory = new();

    public async Task InitializeAsync() => await _factory.CreateUserAsync(LeaverEmail, LeaverPassword, AuthPolicies.AdminRole);
    public async Task DisposeAsync() => await _factory.DisposeAsync();

    /// <summary>The leaver mints a token from their own session, the way an admin does.</summary>
    private async Task<string> LeaversTokenAsync(string name)
    {
        var leaver = await _factory.SignedInClientAsync(LeaverEmail, LeaverPassword);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/admin/api-tokens") { Content = JsonContent.Create(new { name }) };
        request.Headers.Add("RequestVerificationToken", await AdminFactory.AntiforgeryTokenAsync(leaver, "/admin/api-tokens"));
        var created = await leaver.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<CreatedApiTokenResponse>())!.Token;
    }

    private async Task<HttpStatusCode> ContactsWithBearerAsync(string token)
    {
        var client = _factory.NewClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (await client.GetAsync("/api/contacts")).StatusCode;
    }

    private async Task<IdentityUser> LeaverAsync(IServiceProvider services) =>
        (await services.GetRequiredService<UserManager<IdentityUser>>().FindByEmailAsync(LeaverEmail))!;

    [Fact]
    public async Task Disabling_an_admin_revokes_every_token_they_created_at_once()
    {
        var first = await LeaversTokenAsync("bot");
        var second = await LeaversTokenAsync("deploy script");
        Assert.Equal(HttpStatusCode.OK, await ContactsWithBearerAsync(first));
        Assert.Equal(HttpStatusCode.OK, await ContactsWithBearerAsync(second));

        var admin = await _factory.AdminClientAsync();
        await using (var scope = _factory.Services.CreateAsyncScope())
        {
            var leaver = await LeaverAsync(scope.ServiceProvider);
            var antiforgery = await AdminFactory.AntiforgeryTokenAsync(admin, "/admin/users");
            var disabled = await admin.PostAsync($"/admin/users?handler=Disable&id={leaver.Id}",
                new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = antiforgery }));
            Assert.Equal(HttpStatusCode.Redirect, disabled.StatusCode);
        }

        // No clock advance: the token stops with the click, not at the next session check.
        Assert.Equal(HttpStatusCode.Unauthorized, await ContactsWithBearerAsync(first));
        Assert.Equal(HttpStatusCode.Unauthorized, await ContactsWithBearerAsync(second));
        var tokens = await _factory.WithDbAsync(db => db.ApiTokens.AsNoTracking().ToListAsync());
        Assert.All(tokens, t => Assert.Equal((AdminFactory.AdminEmail, _factory.Clock.GetUtcNow().UtcDateTime), (t.RevokedBy, t.RevokedAt)));
        Assert.Contains("revoked", await admin.GetStringAsync("/admin/api-tokens"));

        // Enabling the account again does not bring its old tokens back.
        await using (var scope = _factory.Services.CreateAsyncScope())
        {
            var leaver = await LeaverAsync(scope.ServiceProvider);
            var antiforgery = await AdminFactory.AntiforgeryTokenAsync(admin, "/admin/users");
            await admin.PostAsync($"/admin/users?handler=Enable&id={leaver.Id}",
                new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = antiforgery }));
        }
        Assert.Equal(HttpStatusCode.Unauthorized, await ContactsWithBearerAsync(first));
    }

    [Fact]
    public async Task A_token_is_refused_while_its_creator_is_disabled_demoted_or_deleted()
    {
        var token = await LeaversTokenAsync("integration");
        Assert.Equal(HttpStatusCode.OK, await ContactsWithBearerAsync(token));

        // Changed behind the Users page's back (another instance, a script): the check itself must hold.
        await using var scope = _factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var leaver = await LeaverAsync(scope.ServiceProvider);

        await users.SetLockoutEndDateAsync(leaver, DateTimeOffset.MaxValue);
        Assert.Equal(HttpStatusCode.Unauthorized, await ContactsWithBearerAsync(token));
        await users.SetLockoutEndDateAsync(leaver, null);
        Assert.Equal(HttpStatusCode.OK, await ContactsWithBearerAsync(token));

        await users.RemoveFromRoleAsync(leaver, AuthPolicies.AdminRole);
        await users.AddToRoleAsync(leaver, AuthPolicies.AnalystRole);
        Assert.Equal(HttpStatusCode.Unauthorized, await ContactsWithBearerAsync(token));
        await users.AddToRoleAsync(leaver, AuthPolicies.AdminRole);
        Assert.Equal(HttpStatusCode.OK, await ContactsWithBearerAsync(token));

        Assert.True((await users.DeleteAsync(leaver)).Succeeded);
        Assert.Equal(HttpStatusCode.Unauthorized, await ContactsWithBearerAsync(token));
    }

    [Fact]
    public async Task A_temporarily_locked_out_creator_does_not_stop_their_integrations()
    {
        var token = await LeaversTokenAsync("bot");
        await using var scope = _factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        await users.SetLockoutEndDateAsync(await LeaverAsync(scope.ServiceProvider), DateTimeOffset.UtcNow.AddMinutes(15));
        Assert.Equal(HttpStatusCode.OK, await ContactsWithBearerAsync(token));
    }
}
