using System.Net;
using HappiTrack.Web.Areas.Admin.Pages;
using HappiTrack.Web.Features.Admin;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HappiTrack.Web.Tests.Admin;

/// <summary>The per-IP limit on sign-in attempts, on top of the per-account lockout.</summary>
public sealed class LoginRateLimitTests : IAsyncLifetime
{
    private readonly ClientIpAdminFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task The_eleventh_sign_in_attempt_from_one_address_in_a_minute_gets_the_friendly_429_page_and_other_addresses_still_sign_in()
    {
        var attacker = _factory.ClientFrom("203.0.113.7");
        var defaults = new LoginRateLimitOptions();
        Assert.Equal(10, defaults.Permits);
        // Spraying different accounts, so no account lockout is involved: only the address limit.
        for (var attempt = 0; attempt < defaults.Permits; attempt++)
        {
            var failed = await AdminFactory.PostLoginAsync(attacker, $"user{attempt}@example.com", "a guess at a password");
            Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
            Assert.Equal(LoginModel.FailureMessage, await AdminFactory.LoginErrorTextAsync(failed));
        }

        var refused = await AdminFactory.PostLoginAsync(attacker, AdminFactory.AdminEmail, AdminFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(int.Parse(refused.Headers.RetryAfter!.ToString()) is > 0 and <= 60);
        Assert.Equal("text/html", refused.Content.Headers.ContentType?.MediaType);
        var page = await refused.Content.ReadAsStringAsync();
        Assert.Contains("Too many requests", page);
        Assert.DoesNotContain("Exception", page);
        Assert.False(refused.Headers.Contains("Set-Cookie") && refused.Headers.GetValues("Set-Cookie").Any(c => c.StartsWith("ht_session")),
            "a refused attempt must not sign anyone in");
        // The form itself still loads (GETs are not counted), and other addresses are not affected.
        Assert.Equal(HttpStatusCode.OK, (await attacker.GetAsync("/admin/login")).StatusCode);
        var colleague = _factory.ClientFrom("198.51.100.20");
        Assert.Equal(HttpStatusCode.Redirect, (await AdminFactory.PostLoginAsync(colleague, AdminFactory.AdminEmail, AdminFactory.AdminPassword)).StatusCode);
        Assert.Contains(_factory.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("Refused a sign-in attempt from 203.0.113.7"));
    }

    [Fact]
    public async Task After_the_window_the_same_address_may_try_again()
    {
        await using var factory = new ClientIpAdminFactory();
        factory.Settings["Admin:LoginRateLimit:Permits"] = "2";
        factory.Settings["Admin:LoginRateLimit:Window"] = "00:00:01";
        var client = factory.ClientFrom("203.0.113.8");
        for (var attempt = 0; attempt < 2; attempt++)
            Assert.Equal(HttpStatusCode.OK, (await AdminFactory.PostLoginAsync(client, "nobody@example.com", "guess")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await AdminFactory.PostLoginAsync(client, AdminFactory.AdminEmail, AdminFactory.AdminPassword)).StatusCode);

        await Task.Delay(TimeSpan.FromSeconds(2.2));
        Assert.Equal(HttpStatusCode.Redirect, (await AdminFactory.PostLoginAsync(client, AdminFactory.AdminEmail, AdminFactory.AdminPassword)).StatusCode);
    }

    /// <summary>TestServer has no client address; this one takes it from a test-only header, as a proxy would give it.</summary>
    private sealed class ClientIpAdminFactory : AdminFactory
    {
        private const string Header = "X-Test-Client-Ip";

        public HttpClient ClientFrom(string ip)
        {
            var client = NewClient();
            client.DefaultRequestHeaders.Add(Header, ip);
            return client;
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new ClientIpFromHeader()));
        }

        private sealed class ClientIpFromHeader : IStartupFilter
        {
            public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
            {
                app.Use((http, nextMiddleware) =>
                {
                    if (IPAddress.TryParse(http.Request.Headers[Header], out var ip)) http.Connection.RemoteIpAddress = ip;
                    return nextMiddleware(http);
                });
                next(app);
            };
        }
    }
}
