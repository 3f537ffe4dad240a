using System.Net;
using HappiTrack.Web.Areas.Admin.Pages;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HappiTrack.Web.Tests.Admin;

public sealed class LoginTests : IAsyncLifetime
{
    private const string KnownEmail = "amina.staff@example.com";
    private const string KnownPassword = "amina's long password";
    private readonly AdminFactory _factory = new();

    public Task InitializeAsync() => _factory.CreateUserAsync(KnownEmail, KnownPassword, AuthPolicies.AdminRole);
    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task The_configured_admin_signs_in_and_lands_on_the_dashboard()
    {
        var client = _factory.NewClient();
        var response = await AdminFactory.PostLoginAsync(client, AdminFactory.AdminEmail, AdminFactory.AdminPassword);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/admin", response.Headers.Location?.OriginalString);
        var setCookie = string.Join("\n", response.Headers.GetValues("Set-Cookie"));
        Assert.Contains("ht_session=", setCookie);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/admin")).StatusCode);
    }

    [Fact]
    public async Task An_off_site_return_url_is_ignored()
    {
        var client = _factory.NewClient();
        var token = await AdminFactory.AntiforgeryTokenAsync(client, "/admin/login");
        var response = await client.PostAsync("/admin/login?ReturnUrl=https%3A%2F%2Fevil.example%2F", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Email"] = AdminFactory.AdminEmail,
            ["Input.Password"] = AdminFactory.AdminPassword,
            ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal("/admin", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Five_failures_lock_the_account_so_even_the_right_password_is_refused()
    {
        var client = _factory.NewClient();
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            var failed = await AdminFactory.PostLoginAsync(client, KnownEmail, $"wrong password #{attempt}");
            Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
            Assert.Equal(LoginModel.FailureMessage, await AdminFactory.LoginErrorTextAsync(failed));
        }

        var locked = await AdminFactory.PostLoginAsync(client, KnownEmail, KnownPassword);
        Assert.Equal(HttpStatusCode.OK, locked.StatusCode);
        Assert.Equal(LoginModel.FailureMessage, await AdminFactory.LoginErrorTextAsync(locked));

        await using var scope = _factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var user = await users.FindByEmailAsync(KnownEmail);
        Assert.True(await users.IsLockedOutAsync(user!));
        Assert.InRange(user!.LockoutEnd!.Value - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15));
    }

    /// <summary>
    /// SECURITY.md row 10 at the volume: twenty guesses at a real account and twenty at an
    /// unknown one. The per-IP limit is raised here so every answer comes from the sign-in logic itself
    /// (the limit has its own tests in <see cref="LoginRateLimitTests"/>).
    /// </summary>
    [Fact]
    public async Task Twenty_guesses_lock_a_real_account_after_five_and_an_unknown_account_looks_the_same_every_time()
    {
        await using var factory = new AdminFactory();
        factory.Settings["Admin:LoginRateLimit:Permits"] = "1000";
        await factory.CreateUserAsync(KnownEmail, KnownPassword, AuthPolicies.AdminRole);
        var client = factory.NewClient();
        var answers = new List<(HttpStatusCode Status, string Message)>();
        for (var attempt = 1; attempt <= 20; attempt++)
        {
            foreach (var email in new[] { KnownEmail, "nobody.here@example.com" })
            {
                var response = await AdminFactory.PostLoginAsync(client, email, $"guess number {attempt}");
                answers.Add((response.StatusCode, await AdminFactory.LoginErrorTextAsync(response)));
            }
            await using var scope = factory.Services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            Assert.Equal(attempt >= 5, await users.IsLockedOutAsync((await users.FindByEmailAsync(KnownEmail))!));
        }

        Assert.Equal(40, answers.Count);
        Assert.All(answers, a => Assert.Equal((HttpStatusCode.OK, LoginModel.FailureMessage), a));
        var rightPassword = await AdminFactory.PostLoginAsync(client, KnownEmail, KnownPassword);
        Assert.Equal(LoginModel.FailureMessage, await AdminFactory.LoginErrorTextAsync(rightPassword));
    }

    [Fact]
    public async Task Unknown_and_known_accounts_get_the_same_status_and_message()
    {
        var client = _factory.NewClient();
        var known = await AdminFactory.PostLoginAsync(client, KnownEmail, "not the password");
        var unknown = await AdminFactory.PostLoginAsync(client, "nobody@example.com", "not the password");

        Assert.Equal(known.StatusCode, unknown.StatusCode);
        Assert.Equal(await AdminFactory.LoginErrorTextAsync(known), await AdminFactory.LoginErrorTextAsync(unknown));
        Assert.Equal(LoginModel.FailureMessage, await AdminFactory.LoginErrorTextAsync(unknown));
    }

    [Fact]
    public async Task Failed_logins_and_lockouts_are_logged_with_masked_emails_and_never_the_password()
    {
        var client = _factory.NewClient();
        const string secretAttempt = "my-secret-guess-7781";
        for (var attempt = 0; attempt < 6; attempt++)
            await AdminFactory.PostLoginAsync(client, KnownEmail, secretAttempt);
        await AdminFactory.PostLoginAsync(client, "ghost@example.org", secretAttempt);

        var warnings = _factory.Logs.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message).ToList();
        Assert.Contains(warnings, m => m.Contains("Failed sign-in for a***@example.com"));
        Assert.Contains(warnings, m => m.Contains("locked-out account a***@example.com"));
        Assert.Contains(warnings, m => m.Contains("unknown account g***@example.org"));
        Assert.DoesNotContain(_factory.Logs.Messages, m => m.Contains(secretAttempt));
        Assert.DoesNotContain(_factory.Logs.Messages, m => m.Contains(KnownEmail, StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(_factory.Logs.Messages, m => m.Contains(AdminFactory.AdminPassword));
    }

    [Fact]
    public async Task Login_without_an_antiforgery_token_is_refused()
    {
        var client = _factory.NewClient();
        var response = await client.PostAsync("/admin/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Email"] = AdminFactory.AdminEmail,
            ["Input.Password"] = AdminFactory.AdminPassword,
        }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Logout_ends_the_session()
    {
        var client = await _factory.AdminClientAsync();
        var token = await AdminFactory.AntiforgeryTokenAsync(client, "/admin");
        var response = await client.PostAsync("/admin/logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var after = await client.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/admin/login", after.Headers.Location?.AbsolutePath, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_analyst_is_sent_to_analytics_not_the_admin_area()
    {
        await _factory.CreateUserAsync("reader@example.com", "reader password 12", AuthPolicies.AnalystRole);
        var client = _factory.NewClient();
        var response = await AdminFactory.PostLoginAsync(client, "reader@example.com", "reader password 12");
        Assert.Equal("/analytics", response.Headers.Location?.OriginalString);
    }
}
