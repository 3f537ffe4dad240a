using System.Net;
using HappiTrack.Web.Tests.Infrastructure;

namespace HappiTrack.Web.Tests.Security;

/// <summary>
/// Issue 15 items 8 and 11 against the real app process on Kestrel (Production): forwarded headers
/// count only when switched on and sent by a known proxy; no <c>Server</c> header.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class ProxyHeadersTests
{
    private const string ClientA = "203.0.113.7";
    private const string ClientB = "203.0.113.8";
    // HSTS is never sent for localhost, so the requests name a real-looking host, as through a proxy.
    private const string PublicHost = "shop.example";

    private static Task<AppProcess> StartAsync(Dictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:Default"] = $"Data Source={HappiTrackFactory.NewDatabasePath()}",
            ["Admin:LoginRateLimit:Permits"] = "2",
        };
        foreach (var (key, value) in extra ?? []) settings[key] = value;
        return AppProcess.StartAsync(settings);
    }

    /// <summary>What a TLS-terminating proxy on this machine sends for a browser at <paramref name="client"/>.</summary>
    private static Task<HttpResponseMessage> ThroughProxyAsync(HttpClient http, HttpMethod method, string path, string client)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Host = PublicHost;
        request.Headers.Add("X-Forwarded-For", client);
        request.Headers.Add("X-Forwarded-Proto", "https");
        if (method == HttpMethod.Post) request.Content = new FormUrlEncodedContent([]);
        return http.SendAsync(request);
    }

    private static HttpClient Client(AppProcess app) =>
        new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };

    private static IEnumerable<string> SetCookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [];

    private static bool IsSecure(string setCookie) =>
        setCookie.Split(';').Any(a => a.Trim().Equals("secure", StringComparison.OrdinalIgnoreCase));

    /// <summary>Login POSTs (limit 2 per address) from A until refused, then one from B.</summary>
    private static async Task<(HttpStatusCode ThirdFromA, HttpStatusCode FirstFromB)> LoginLimitAsync(HttpClient http)
    {
        for (var i = 0; i < 2; i++)
            Assert.NotEqual(HttpStatusCode.TooManyRequests, (await ThroughProxyAsync(http, HttpMethod.Post, "/admin/login", ClientA)).StatusCode);
        var third = (await ThroughProxyAsync(http, HttpMethod.Post, "/admin/login", ClientA)).StatusCode;
        var other = (await ThroughProxyAsync(http, HttpMethod.Post, "/admin/login", ClientB)).StatusCode;
        return (third, other);
    }

    [RealProcessFact]
    public async Task Behind_a_known_proxy_forwarded_https_gives_Secure_cookies_and_HSTS_and_limits_count_per_client()
    {
        using var app = await StartAsync(new()
        {
            ["ForwardedHeaders:Enabled"] = "true",
            ["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1",
        });
        using var http = Client(app);

        var page = await ThroughProxyAsync(http, HttpMethod.Get, "/admin/login", ClientA);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.True(page.Headers.Contains("Strict-Transport-Security"), "HSTS under forwarded HTTPS");
        var cookies = SetCookies(page).ToList();
        Assert.NotEmpty(cookies);
        Assert.All(cookies, c => Assert.True(IsSecure(c), c));

        var (thirdFromA, firstFromB) = await LoginLimitAsync(http);
        Assert.Equal(HttpStatusCode.TooManyRequests, thirdFromA);
        Assert.NotEqual(HttpStatusCode.TooManyRequests, firstFromB);
    }

    [RealProcessFact]
    public async Task By_default_forwarded_headers_are_ignored()
    {
        using var app = await StartAsync();
        await AssertHeadersIgnoredAsync(app);
    }

    [RealProcessFact]
    public async Task Forwarded_headers_from_a_proxy_that_is_not_listed_are_ignored()
    {
        using var app = await StartAsync(new()
        {
            ["ForwardedHeaders:Enabled"] = "true",
            ["ForwardedHeaders:KnownProxies:0"] = "10.9.8.7",
            ["ForwardedHeaders:KnownNetworks:0"] = "192.168.0.0/16",
        });
        await AssertHeadersIgnoredAsync(app);
    }

    private static async Task AssertHeadersIgnoredAsync(AppProcess app)
    {
        using var http = Client(app);
        var page = await ThroughProxyAsync(http, HttpMethod.Get, "/admin/login", ClientA);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.False(page.Headers.Contains("Strict-Transport-Security"), "HSTS on plain HTTP because a header said https");
        Assert.All(SetCookies(page), c => Assert.False(IsSecure(c), c));

        // Every "client" is really the one connection's address, sharing its budget.
        var (thirdFromA, firstFromB) = await LoginLimitAsync(http);
        Assert.Equal(HttpStatusCode.TooManyRequests, thirdFromA);
        Assert.Equal(HttpStatusCode.TooManyRequests, firstFromB);
    }

    [RealProcessFact]
    public async Task Kestrel_sends_no_Server_header()
    {
        using var app = await StartAsync();
        using var http = Client(app);
        foreach (var path in new[] { "/", "/admin/login", "/api/admin/me", "/no-such-page" })
        {
            var response = await http.GetAsync(path);
            Assert.False(response.Headers.Contains("Server"), $"{path}: Server: {string.Join(",", response.Headers.TryGetValues("Server", out var v) ? v : [])}");
        }
    }
}
