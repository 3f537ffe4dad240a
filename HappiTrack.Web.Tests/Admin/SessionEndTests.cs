using System.Net;
using HappiTrack.Web.Features.Admin;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Admin;

/// <summary>
/// Issue 15 item 6: a copied session cookie stops working after sign-out, a password reset or a role
/// change, within the security-stamp interval (moved on the fake clock, not waited for).
/// </summary>
public sealed class SessionEndTests : IAsyncLifetime
{
    private const string StaffEmail = "staff@example.com";
    private const string StaffPassword = "staff password 1";
    private readonly AdminFactory _factory = new();

    public async Task InitializeAsync() => await _factory.CreateUserAsync(StaffEmail, StaffPassword, AuthPolicies.AdminRole);
    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static TimeSpan JustPastTheInterval => IdentitySetup.SecurityStampValidationInterval + TimeSpan.FromSeconds(1);

    private async Task<string> SessionCookieAsync(HttpClient client)
    {
        var response = await AdminFactory.PostLoginAsync(client, StaffEmail, StaffPassword);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(IdentitySetup.SessionCookieName + "=", StringComparison.Ordinal)).Split(';')[0];
    }

    /// <summary>Replays a copied cookie from a client with no cookies of its own.</summary>
    private async Task<HttpResponseMessage> ReplayAsync(string cookie, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookie);
        return await _factory.NewClient().SendAsync(request);
    }

    private static void AssertSentToLogin(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(IdentitySetup.LoginPath, response.Headers.Location?.AbsolutePath);
    }

    [Fact]
    public void The_stamp_is_checked_at_least_once_a_minute() =>
        Assert.True(IdentitySetup.SecurityStampValidationInterval <= TimeSpan.FromMinutes(1));

    [Fact]
    public async Task A_session_cookie_replayed_after_sign_out_no_longer_opens_analytics()
    {
        var browser = _factory.NewClient();
        var cookie = await SessionCookieAsync(browser);
        Assert.Equal(HttpStatusCode.OK, (await ReplayAsync(cookie, "/analytics")).StatusCode);

        var antiforgery = await AdminFactory.AntiforgeryTokenAsync(browser, "/admin");
        var signOut = await browser.PostAsync(IdentitySetup.LogoutPath,
            new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = antiforgery }));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);

        _factory.Clock.Advance(JustPastTheInterval);
        AssertSentToLogin(await ReplayAsync(cookie, "/analytics"));
        // Signing in again works and gives a fresh, working session.
        var fresh = await SessionCookieAsync(_factory.NewClient());
        Assert.Equal(HttpStatusCode.OK, (await ReplayAsync(fresh, "/analytics")).StatusCode);
    }

    [Fact]
    public async Task A_password_reset_ends_the_users_other_sessions_within_the_interval()
    {
        var cookie = await SessionCookieAsync(_factory.NewClient());
        Assert.Equal(HttpStatusCode.OK, (await ReplayAsync(cookie, "/admin")).StatusCode);

        var admin = await _factory.AdminClientAsync();
        string id;
        await using (var scope = _factory.Services.CreateAsyncScope())
            id = (await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().FindByEmailAsync(StaffEmail))!.Id;
        var antiforgery = await AdminFactory.AntiforgeryTokenAsync(admin, "/admin/users");
        var reset = await admin.PostAsync($"/admin/users?handler=ResetPassword&id={id}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["newPassword"] = "a brand new passphrase",
            ["__RequestVerificationToken"] = antiforgery,
        }));
        Assert.Equal(HttpStatusCode.Redirect, reset.StatusCode);

        _factory.Clock.Advance(JustPastTheInterval);
        AssertSentToLogin(await ReplayAsync(cookie, "/admin"));
    }

    [Fact]
    public async Task A_role_change_on_the_users_page_signs_the_user_out_within_the_interval_and_revokes_their_tokens()
    {
        var browser = _factory.NewClient();
        var cookie = await SessionCookieAsync(browser);
        var tokenRequest = new HttpRequestMessage(HttpMethod.Post, "/api/admin/api-tokens") { Content = System.Net.Http.Json.JsonContent.Create(new { name = "staff bot" }) };
        tokenRequest.Headers.Add("RequestVerificationToken", await AdminFactory.AntiforgeryTokenAsync(browser, "/admin/api-tokens"));
        var created = await browser.SendAsync(tokenRequest);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<CreatedApiTokenResponse>(created.Content))!.Token;

        var admin = await _factory.AdminClientAsync();
        string id;
        await using (var scope = _factory.Services.CreateAsyncScope())
            id = (await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().FindByEmailAsync(StaffEmail))!.Id;
        var antiforgery = await AdminFactory.AntiforgeryTokenAsync(admin, "/admin/users");
        var changed = await admin.PostAsync($"/admin/users?handler=SetRole&id={id}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["role"] = AuthPolicies.AnalystRole,
            ["__RequestVerificationToken"] = antiforgery,
        }));
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);

        var bearer = _factory.NewClient();
        bearer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        Assert.Equal(HttpStatusCode.Unauthorized, (await bearer.GetAsync("/api/contacts")).StatusCode);

        _factory.Clock.Advance(JustPastTheInterval);
        AssertSentToLogin(await ReplayAsync(cookie, "/analytics"));
        // Signing in again gives the new role only.
        var fresh = await SessionCookieAsync(_factory.NewClient());
        Assert.Equal(HttpStatusCode.Forbidden, (await ReplayAsync(fresh, "/admin")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ReplayAsync(fresh, "/analytics")).StatusCode);
        Assert.Contains("Analyst", await admin.GetStringAsync("/admin/users"));
    }

    [Fact]
    public async Task A_role_change_made_outside_the_app_reaches_open_sessions_within_the_interval()
    {
        var cookie = await SessionCookieAsync(_factory.NewClient());
        Assert.Equal(HttpStatusCode.OK, (await ReplayAsync(cookie, "/admin")).StatusCode);

        await using (var scope = _factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            var staff = (await users.FindByEmailAsync(StaffEmail))!;
            await users.RemoveFromRoleAsync(staff, AuthPolicies.AdminRole);
            await users.AddToRoleAsync(staff, AuthPolicies.AnalystRole);
        }
        // Until the next check the cookie still carries the old role.
        Assert.Equal(HttpStatusCode.OK, (await ReplayAsync(cookie, "/admin")).StatusCode);

        // The check reloads the roles from the database: the demoted session keeps analytics only.
        _factory.Clock.Advance(JustPastTheInterval);
        Assert.Equal(HttpStatusCode.Forbidden, (await ReplayAsync(cookie, "/admin")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ReplayAsync(cookie, "/analytics")).StatusCode);
    }
}
