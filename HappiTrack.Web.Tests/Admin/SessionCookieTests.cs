using System.Net;
using HappiTrack.Web.Infrastructure;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Admin;

public sealed class SessionCookieTests
{
    private static async Task<string> SessionCookieAsync(HttpClient client, string email, string password)
    {
        var response = await AdminFactory.PostLoginAsync(client, email, password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("ht_session=", StringComparison.Ordinal));
    }

    private static Task<HttpResponseMessage> GetWithCookieAsync(HttpClient client, string setCookie, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", setCookie.Split(';')[0]);
        return client.SendAsync(request);
    }

    [Fact]
    public async Task Under_HTTPS_the_session_cookie_is_Secure_HttpOnly_and_SameSite_Strict()
    {
        await using var factory = new AdminFactory();
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri("https://localhost") });

        var cookie = await SessionCookieAsync(client, AdminFactory.AdminEmail, AdminFactory.AdminPassword);

        var attributes = cookie.Split(';').Select(a => a.Trim().ToLowerInvariant()).ToList();
        Assert.Contains("secure", attributes);
        Assert.Contains("httponly", attributes);
        Assert.Contains("samesite=strict", attributes);
        Assert.DoesNotContain(attributes, a => a.StartsWith("expires=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_session_survives_a_restart_because_the_key_ring_is_in_the_database()
    {
        var path = HappiTrackFactory.NewDatabasePath();
        string cookie;
        await using (var first = new AdminFactory(path) { DeleteDatabaseOnDispose = false })
        {
            cookie = await SessionCookieAsync(first.NewClient(), AdminFactory.AdminEmail, AdminFactory.AdminPassword);
        }

        await using var restarted = new AdminFactory(path);
        Assert.Equal(HttpStatusCode.OK, (await GetWithCookieAsync(restarted.NewClient(), cookie, "/admin")).StatusCode);
    }

    [Fact]
    public async Task Disabling_a_user_ends_their_open_session_within_a_minute()
    {
        await using var factory = new AdminFactory();
        await factory.CreateUserAsync("leaver@example.com", "leaving password", AuthPolicies.AdminRole);
        var cookie = await SessionCookieAsync(factory.NewClient(), "leaver@example.com", "leaving password");
        Assert.Equal(HttpStatusCode.OK, (await GetWithCookieAsync(factory.NewClient(), cookie, "/admin")).StatusCode);

        var admin = await factory.AdminClientAsync();
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var leaver = await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().FindByEmailAsync("leaver@example.com");
            var token = await AdminFactory.AntiforgeryTokenAsync(admin, "/admin/users");
            var disabled = await admin.PostAsync($"/admin/users?handler=Disable&id={leaver!.Id}",
                new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
            Assert.Equal(HttpStatusCode.Redirect, disabled.StatusCode);
        }

        factory.Clock.Advance(TimeSpan.FromMinutes(2));
        var after = await GetWithCookieAsync(factory.NewClient(), cookie, "/admin");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Equal("/admin/login", after.Headers.Location?.AbsolutePath);
    }
}
