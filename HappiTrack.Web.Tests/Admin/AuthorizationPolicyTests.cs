using System.Security.Claims;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Admin;

/// <summary>The policies other features protect their pages and APIs with, checked role by role.</summary>
public sealed class AuthorizationPolicyTests : IAsyncLifetime
{
    private readonly AdminFactory _factory = new();
    private IAuthorizationService _authorization = null!;

    public Task InitializeAsync()
    {
        _authorization = _factory.Services.GetRequiredService<IAuthorizationService>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static ClaimsPrincipal SignedIn(params string[] roles) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, "someone@example.com"), .. roles.Select(r => new Claim(ClaimTypes.Role, r))],
        IdentityConstants.ApplicationScheme));

    [Theory]
    [InlineData(AuthPolicies.AdminPages, new[] { "Admin" }, true)]
    [InlineData(AuthPolicies.AdminPages, new[] { "Analyst" }, false)]
    [InlineData(AuthPolicies.AdminPages, new string[0], false)]
    [InlineData(AuthPolicies.AdminApi, new[] { "Admin" }, true)]
    [InlineData(AuthPolicies.AdminApi, new[] { "Analyst" }, false)]
    [InlineData(AuthPolicies.AnalyticsAccess, new[] { "Admin" }, true)]
    [InlineData(AuthPolicies.AnalyticsAccess, new[] { "Analyst" }, true)]
    [InlineData(AuthPolicies.AnalyticsAccess, new string[0], false)]
    public async Task Each_policy_admits_exactly_its_roles(string policy, string[] roles, bool admitted)
    {
        var result = await _authorization.AuthorizeAsync(SignedIn(roles), resource: null, policy);
        Assert.Equal(admitted, result.Succeeded);
    }

    [Fact]
    public async Task Nobody_anonymous_passes_any_staff_policy()
    {
        var anonymous = new ClaimsPrincipal(new ClaimsIdentity());
        foreach (var policy in new[] { AuthPolicies.AdminPages, AuthPolicies.AdminApi, AuthPolicies.AnalyticsAccess })
            Assert.False((await _authorization.AuthorizeAsync(anonymous, resource: null, policy)).Succeeded);
    }
}
