using System.Net;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Admin;

public sealed class UsersPageTests : IAsyncLifetime
{
    private readonly AdminFactory _factory = new();
    private HttpClient _admin = null!;

    public async Task InitializeAsync() => _admin = await _factory.AdminClientAsync();
    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task<HttpResponseMessage> PostAsync(string handler, Dictionary<string, string> fields, string? id = null)
    {
        fields["__RequestVerificationToken"] = await AdminFactory.AntiforgeryTokenAsync(_admin, "/admin/users");
        var url = $"/admin/users?handler={handler}" + (id is null ? "" : $"&id={Uri.EscapeDataString(id)}");
        return await _admin.PostAsync(url, new FormUrlEncodedContent(fields));
    }

    private Task<HttpResponseMessage> CreateAsync(string email, string password, string role = AuthPolicies.AnalystRole) =>
        PostAsync("Create", new() { ["NewUser.Email"] = email, ["NewUser.Role"] = role, ["NewUser.Password"] = password });

    private async Task<IdentityUser?> FindAsync(string email)
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().FindByEmailAsync(email);
    }

    [Fact]
    public async Task Eleven_characters_are_refused_with_a_clear_message_and_twelve_lowercase_letters_are_enough()
    {
        var refused = await CreateAsync("short@example.com", "abcdefghijk");
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("at least 12 characters", await refused.Content.ReadAsStringAsync());
        Assert.Null(await FindAsync("short@example.com"));

        var accepted = await CreateAsync("plain@example.com", "abcdefghijkl");
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        var user = await FindAsync("plain@example.com");
        Assert.NotNull(user);
        await using var scope = _factory.Services.CreateAsyncScope();
        Assert.True(await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().IsInRoleAsync(user!, AuthPolicies.AnalystRole));
        Assert.Equal(HttpStatusCode.Redirect, (await AdminFactory.PostLoginAsync(_factory.NewClient(), "plain@example.com", "abcdefghijkl")).StatusCode);
    }

    [Fact]
    public async Task The_password_policy_itself_has_no_composition_rules()
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        Assert.False((await users.CreateAsync(new IdentityUser("a@example.com") { Email = "a@example.com" }, "abcdefghijk")).Succeeded);
        Assert.True((await users.CreateAsync(new IdentityUser("b@example.com") { Email = "b@example.com" }, "abcdefghijkl")).Succeeded);
    }

    [Fact]
    public async Task An_unknown_role_or_a_bad_email_is_refused_by_field()
    {
        var response = await CreateAsync("not-an-email", "long enough password", "Superuser");
        var document = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("not an email", document.QuerySelector("[data-valmsg-for='NewUser.Email']")!.TextContent);
        Assert.Contains("Admin or Analyst", document.QuerySelector("[data-valmsg-for='NewUser.Role']")!.TextContent);
    }

    [Fact]
    public async Task A_disabled_user_cannot_sign_in_until_enabled_again()
    {
        await _factory.CreateUserAsync("temp@example.com", "temporary password", AuthPolicies.AnalystRole);
        var user = await FindAsync("temp@example.com");

        Assert.Equal(HttpStatusCode.Redirect, (await PostAsync("Disable", [], user!.Id)).StatusCode);
        var refused = await AdminFactory.PostLoginAsync(_factory.NewClient(), "temp@example.com", "temporary password");
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("disabled", await _admin.GetStringAsync("/admin/users"));

        Assert.Equal(HttpStatusCode.Redirect, (await PostAsync("Enable", [], user.Id)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await AdminFactory.PostLoginAsync(_factory.NewClient(), "temp@example.com", "temporary password")).StatusCode);
    }

    [Fact]
    public async Task An_admin_cannot_disable_themselves()
    {
        var me = await FindAsync(AdminFactory.AdminEmail);
        var response = await PostAsync("Disable", [], me!.Id);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("cannot disable your own account", await response.Content.ReadAsStringAsync());
        Assert.Null((await FindAsync(AdminFactory.AdminEmail))!.LockoutEnd);
    }

    [Fact]
    public async Task Resetting_a_password_replaces_the_old_one_and_checks_the_length()
    {
        await _factory.CreateUserAsync("forgetful@example.com", "original password", AuthPolicies.AnalystRole);
        var user = await FindAsync("forgetful@example.com");

        var tooShort = await PostAsync("ResetPassword", new() { ["newPassword"] = "short" }, user!.Id);
        Assert.Contains("at least 12 characters", await tooShort.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.Redirect, (await PostAsync("ResetPassword", new() { ["newPassword"] = "a brand new password" }, user.Id)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await AdminFactory.PostLoginAsync(_factory.NewClient(), "forgetful@example.com", "original password")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await AdminFactory.PostLoginAsync(_factory.NewClient(), "forgetful@example.com", "a brand new password")).StatusCode);
    }
}
