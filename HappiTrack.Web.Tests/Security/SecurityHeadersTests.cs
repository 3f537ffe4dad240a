using System.Net;
using System.Text.RegularExpressions;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Tracking;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Security;

/// <summary>
/// SECURITY.md row 13: every route the app maps (discovered from its endpoint data, so new pages are
/// covered without a list), a few static files and an unknown path carry the security headers, for an
/// anonymous visitor and for a signed-in admin, over HTTPS in a non-Development environment.
/// </summary>
public sealed partial class SecurityHeadersTests : IAsyncLifetime
{
    private static readonly string[] StaticFiles = ["/css/site.css", "/js/tracker.min.js", "/js/store.js", "/favicon.ico", "/no/such/page"];

    private readonly AdminFactory _factory = new();
    private HttpClient _anonymous = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _anonymous = HttpsClient();
        _admin = HttpsClient();
        var login = await AdminFactory.PostLoginAsync(_admin, AdminFactory.AdminEmail, AdminFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    /// <summary>HSTS middleware never answers for localhost, so HTTPS requests name a real-looking host.</summary>
    private static readonly Uri HttpsBase = new("https://shop.example");

    private HttpClient HttpsClient()
    {
        var client = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = HttpsBase });
        client.DefaultRequestHeaders.UserAgent.ParseAdd(TrackingHttp.BrowserUserAgent);
        return client;
    }

    private IReadOnlyList<string> DiscoverGetPaths()
    {
        var paths = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var endpoint in _factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            if (!methods.Contains("GET")) continue;
            var template = endpoint.RoutePattern.RawText ?? "";
            paths.Add(("/" + RouteParameter().Replace(template, m => m.Value.Contains('*') ? "" : "1").Trim('/')).ToLowerInvariant());
        }
        return paths.Order().ToList();
    }

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex RouteParameter();

    [Fact]
    public void Discovery_finds_storefront_admin_analytics_and_api_routes()
    {
        var paths = DiscoverGetPaths();
        Assert.Contains("/", paths);
        Assert.Contains("/admin/login", paths);
        Assert.Contains("/analytics", paths);
        Assert.Contains(paths, p => p.StartsWith("/api/", StringComparison.Ordinal));
        Assert.True(paths.Count >= 15, $"only {paths.Count} routes: {string.Join(", ", paths)}");
    }

    [Fact]
    public async Task Every_route_and_static_file_carries_the_security_headers_for_anonymous_and_admin_callers()
    {
        var targets = DiscoverGetPaths().Concat(StaticFiles).ToList();
        var failures = new List<string>();
        foreach (var (who, client) in new[] { ("anonymous", _anonymous), ("admin", _admin) })
        {
            foreach (var path in targets)
            {
                var response = await client.GetAsync(path);
                foreach (var problem in HeaderProblems(response))
                    failures.Add($"{who} GET {path} ({(int)response.StatusCode}): {problem}");
            }
            var post = await client.PostAsync("/api/track", new StringContent("{", System.Text.Encoding.UTF8, "application/json"));
            foreach (var problem in HeaderProblems(post)) failures.Add($"{who} POST /api/track ({(int)post.StatusCode}): {problem}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static IEnumerable<string> HeaderProblems(HttpResponseMessage response)
    {
        var csp = Header(response, "Content-Security-Policy");
        if (csp is null) { yield return "no CSP"; }
        else
        {
            var directives = csp.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .ToDictionary(d => d.Split(' ')[0], d => d);
            var scriptSrc = directives.GetValueOrDefault("script-src") ?? directives.GetValueOrDefault("default-src");
            if (scriptSrc is null || scriptSrc.Contains("'unsafe-inline'") || scriptSrc.Contains("'unsafe-eval'") || scriptSrc.Contains('*'))
                yield return $"script-src allows inline or foreign script: {scriptSrc}";
            if (directives.GetValueOrDefault("object-src") != "object-src 'none'") yield return "object-src is not 'none'";
            if (!directives.TryGetValue("frame-ancestors", out var frames) || frames.Contains('*')) yield return "no strict frame-ancestors";
        }
        if (Header(response, "X-Content-Type-Options") != "nosniff") yield return "no X-Content-Type-Options: nosniff";
        var referrer = Header(response, "Referrer-Policy");
        if (referrer is not ("no-referrer" or "strict-origin" or "same-origin" or "origin"))
            yield return $"Referrer-Policy '{referrer}' may leak ?ht= or ?token= in Referer";
        var hsts = Header(response, "Strict-Transport-Security");
        var maxAge = hsts is null ? null : Regex.Match(hsts, @"max-age=(\d+)");
        if (maxAge is null || !maxAge.Success || long.Parse(maxAge.Groups[1].Value) < 31_536_000)
            yield return $"HSTS missing or under a year: {hsts}";
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(",", values) : null;

    [Fact]
    public async Task Over_plain_HTTP_no_HSTS_header_is_sent()
    {
        var client = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var response = await client.GetAsync("/");
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
    }

    [Fact]
    public async Task Under_HTTPS_every_cookie_the_app_sets_is_HttpOnly_SameSite_and_Secure()
    {
        var client = HttpsClient();
        var setCookies = new List<string>();
        void Collect(HttpResponseMessage r) { if (r.Headers.TryGetValues("Set-Cookie", out var v)) setCookies.AddRange(v); }

        Collect(await client.GetAsync("/"));
        Collect(await client.TrackAsync(TrackingHttp.Payload(TrackingHttp.PageView)));
        Collect(await client.GetAsync("/admin/login"));
        Collect(await AdminFactory.PostLoginAsync(client, AdminFactory.AdminEmail, AdminFactory.AdminPassword));

        var names = setCookies.Select(c => c.Split('=')[0]).ToHashSet();
        Assert.Contains("ht_vid", names);
        Assert.Contains("ht_session", names);
        Assert.Contains(names, n => n.StartsWith(".AspNetCore.Antiforgery", StringComparison.Ordinal));

        var failures = new List<string>();
        foreach (var cookie in setCookies)
        {
            var attributes = cookie.Split(';').Skip(1).Select(a => a.Trim().ToLowerInvariant()).ToList();
            if (!attributes.Contains("httponly")) failures.Add($"{cookie}: not HttpOnly");
            if (!attributes.Contains("secure")) failures.Add($"{cookie}: not Secure");
            if (!attributes.Any(a => a is "samesite=strict" or "samesite=lax")) failures.Add($"{cookie}: no SameSite Lax/Strict");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
