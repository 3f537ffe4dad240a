using System.Net;
using System.Text.RegularExpressions;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Mvc.RazorPages.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Admin;

/// <summary>
/// Every route under /admin, /analytics and /api, discovered from the app's own endpoint data, so a
/// page or API added later is covered without anyone remembering to list it. Public routes must be
/// named here. /admin and /api are for admins; /analytics and /api/analytics for admins and analysts.
/// Route parameters get a dummy value ("1"; catch-alls nothing): an allowed user may then see 200 or
/// 404, never 401/403, since the point is who may reach the route, not what a given id holds.
/// </summary>
public sealed partial class AdminRouteSweepTests : IAsyncLifetime
{
    /// <summary>API routes anyone on the internet may call; everything else under /api is for admins.</summary>
    private static readonly HashSet<string> PublicApiRoutes = new(StringComparer.OrdinalIgnoreCase)
    {
        "/api/track",
        "/api/whatsapp/webhook",
        "/api/whatsapp/confirm", // the bot's signed callback (issue 15.1); BotReplyEndpoint's tests cover its signature
        "/api/sites/1/events", // a site's signed commerce events (issue 20); Sites/SiteEventsApiTests cover key, signature and idempotency
        "/api/sites/1/track", // t.js on a site's own pages (issue 20); Sites/TrackerEndpointTests cover key, origin and payload claims
    };

    /// <summary>
    /// Routes outside /admin, /analytics, /api and the store's pages that anyone may read: the OpenAPI document
    /// (issue 20) describes the API and holds no secret. Its rendered reference lives under /admin and is swept as admin-only.
    /// </summary>
    private static readonly HashSet<string> PublicDocumentRoutes = new(StringComparer.OrdinalIgnoreCase)
    {
        "/openapi/{documentName}.json",
    };

    /// <summary>Admin-area pages that must work without a session.</summary>
    private static readonly HashSet<string> AnonymousAdminPages = new(StringComparer.OrdinalIgnoreCase)
    {
        "/admin/login",
        "/admin/logout",
    };

    private const string AnalystEmail = "analyst@example.com";
    private const string AnalystPassword = "analyst password 1";

    private readonly AdminFactory _factory = new();
    private HttpClient _anonymous = null!;
    private HttpClient _analyst = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        await _factory.CreateUserAsync(AnalystEmail, AnalystPassword, AuthPolicies.AnalystRole);
        _anonymous = _factory.NewClient();
        _analyst = await _factory.SignedInClientAsync(AnalystEmail, AnalystPassword);
        _admin = await _factory.AdminClientAsync();
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private enum Audience { Admins, Staff }

    private sealed record SweptRoute(string Path, string Method, bool IsApi, Audience Audience, PageActionDescriptor? Page)
    {
        public bool HasParameters { get; init; }
    }

    private static bool IsUnder(string path, string prefix) =>
        path == prefix || path.StartsWith(prefix + "/", StringComparison.Ordinal);

    private IReadOnlyList<SweptRoute> DiscoverRoutes()
    {
        var routes = new List<SweptRoute>();
        foreach (var endpoint in _factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var template = endpoint.RoutePattern.RawText ?? "";
            var path = "/" + RouteParameter().Replace(template, m => m.Value.Contains('*') ? "" : "1").Trim('/');
            path = path.ToLowerInvariant().TrimEnd('/');
            var isApi = IsUnder(path, "/api");
            if (!isApi && !IsUnder(path, "/admin") && !IsUnder(path, "/analytics")) continue;
            if (PublicApiRoutes.Contains(path)) continue;

            var audience = IsUnder(path, "/analytics") || IsUnder(path, "/api/analytics") ? Audience.Staff : Audience.Admins;
            var page = endpoint.Metadata.GetMetadata<PageActionDescriptor>();
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods)
                routes.Add(new SweptRoute(path, method, isApi, audience, page) { HasParameters = template.Contains('{') });
        }
        return routes.DistinctBy(r => (r.Path, r.Method)).ToList();
    }

    [Fact]
    public void The_sweep_finds_the_admin_pages_and_apis()
    {
        var paths = DiscoverRoutes().Select(r => r.Path).ToHashSet();
        Assert.Contains("/admin", paths);
        Assert.Contains("/admin/users", paths);
        Assert.Contains("/admin/api-tokens", paths);
        Assert.Contains("/api/admin/api-tokens", paths);
        Assert.Contains("/api/admin/api-tokens/1", paths);
        Assert.Contains("/api/admin/me", paths);
        Assert.Contains("/admin/jobs", paths);
        Assert.Contains(OpenApiSetup.ReferencePath + "/scalar.js", paths);
        foreach (var crm in new[] { "/admin/contacts", "/admin/contacts/1", "/admin/links", "/admin/campaigns", "/admin/campaigns/1", "/admin/rules",
                     "/admin/outbox", "/api/contacts", "/api/campaign/broadcast", "/api/campaign/logs" })
            Assert.Contains(crm, paths);
    }

    [Fact]
    public async Task The_API_document_is_the_one_public_document_route_and_anonymous_callers_read_it()
    {
        var documentRoutes = _factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => "/" + (e.RoutePattern.RawText ?? "").Trim('/'))
            .Where(p => IsUnder(p.ToLowerInvariant(), "/openapi"))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.Equal(PublicDocumentRoutes.Order(), documentRoutes.Order());

        var response = await _anonymous.GetAsync(OpenApiSetup.DocumentPath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Anonymous_callers_are_sent_to_login_from_pages_and_get_401_from_apis()
    {
        var failures = new List<string>();
        foreach (var route in DiscoverRoutes())
        {
            var response = await SendAsync(_anonymous, route);
            if (route.IsApi)
            {
                if (response.StatusCode != HttpStatusCode.Unauthorized || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                    failures.Add($"{route.Method} {route.Path}: {(int)response.StatusCode} {response.Content.Headers.ContentType}");
            }
            else if (AnonymousAdminPages.Contains(route.Path))
            {
                if (route.Method == "GET" && response.StatusCode != HttpStatusCode.OK) failures.Add($"{route.Method} {route.Path}: {(int)response.StatusCode}");
            }
            else if (response.StatusCode != HttpStatusCode.Redirect
                     || response.Headers.Location?.AbsolutePath.Equals("/admin/login", StringComparison.OrdinalIgnoreCase) != true)
            {
                failures.Add($"{route.Method} {route.Path}: {(int)response.StatusCode} → {response.Headers.Location}");
            }
        }
        Assert.Empty(failures);
    }

    [Fact]
    public async Task Analysts_get_403_on_every_admin_page_and_api()
    {
        // Unsafe API calls carry a valid antiforgery token, so it is the role that refuses them.
        var antiforgery = await AdminFactory.AntiforgeryTokenAsync(_analyst, "/admin/login");
        var failures = new List<string>();
        foreach (var route in DiscoverRoutes().Where(r => r.Audience == Audience.Admins && !AnonymousAdminPages.Contains(r.Path)))
        {
            var response = await SendAsync(_analyst, route, antiforgery);
            if (response.StatusCode != HttpStatusCode.Forbidden)
                failures.Add($"{route.Method} {route.Path}: {(int)response.StatusCode}");
            else if (route.IsApi && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                failures.Add($"{route.Method} {route.Path}: 403 without problem+json");
        }
        Assert.Empty(failures);
        Assert.Contains(_factory.Logs.Messages, m => m.Contains("Denied a***@example.com access to GET /admin/users", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Analysts_reach_every_GET_analytics_page_and_api()
    {
        var failures = new List<string>();
        foreach (var route in DiscoverRoutes().Where(r => r.Audience == Audience.Staff && r.Method == "GET"))
        {
            var response = await SendAsync(_analyst, route);
            if (!Allowed(route, response)) failures.Add($"{route.Method} {route.Path}: {(int)response.StatusCode}");
        }
        Assert.Empty(failures);
    }

    private static bool Allowed(SweptRoute route, HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.OK || (route.HasParameters && response.StatusCode == HttpStatusCode.NotFound);

    [Fact]
    public async Task Admins_reach_every_GET_page_and_api()
    {
        var failures = new List<string>();
        foreach (var route in DiscoverRoutes().Where(r => r.Method == "GET"))
        {
            var response = await SendAsync(_admin, route);
            if (!Allowed(route, response)) failures.Add($"{route.Method} {route.Path}: {(int)response.StatusCode}");
            else if (route.Page is not null && response.Headers.CacheControl?.NoStore != true)
                failures.Add($"{route.Method} {route.Path}: cacheable ({response.Headers.CacheControl})");
            else if (route.Page is not null && !route.HasParameters && await AlertTextAsync(response) is { } alert)
                failures.Add($"{route.Method} {route.Path}: a plain visit shows an error: {alert}");
        }
        Assert.Empty(failures);
    }

    /// <summary>A page opened from the navigation, with no query, has nothing to complain about.</summary>
    private static async Task<string?> AlertTextAsync(HttpResponseMessage response)
    {
        var doc = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        return doc.QuerySelector("[role=alert]")?.TextContent.Trim();
    }

    [Fact]
    public async Task Every_POST_page_handler_without_an_antiforgery_token_is_refused_with_400()
    {
        var loader = _factory.Services.GetRequiredService<PageLoader>();
        var checkedHandlers = 0;
        var failures = new List<string>();
        foreach (var route in DiscoverRoutes().Where(r => r.Page is not null && r.Method == "GET"))
        {
            var compiled = await loader.LoadAsync(route.Page!, EndpointMetadataCollection.Empty);
            foreach (var handler in compiled.HandlerMethods.Where(h => h.HttpMethod.Equals("POST", StringComparison.OrdinalIgnoreCase)))
            {
                var url = handler.Name is null ? route.Path : $"{route.Path}?handler={handler.Name}";
                var response = await _admin.PostAsync(url, new FormUrlEncodedContent(new Dictionary<string, string> { ["id"] = "1" }));
                checkedHandlers++;
                if (response.StatusCode != HttpStatusCode.BadRequest) failures.Add($"POST {url}: {(int)response.StatusCode}");
            }
        }
        Assert.Empty(failures);
        Assert.True(checkedHandlers >= 6, $"only {checkedHandlers} POST handlers found");
    }

    [Fact]
    public async Task Every_unsafe_admin_api_call_made_with_the_session_cookie_but_no_antiforgery_token_is_refused_with_400()
    {
        var unsafeRoutes = DiscoverRoutes().Where(r => r.IsApi && !HttpMethods.IsGet(r.Method) && !HttpMethods.IsHead(r.Method)).ToList();
        Assert.NotEmpty(unsafeRoutes);
        var failures = new List<string>();
        foreach (var route in unsafeRoutes)
        {
            var response = await SendAsync(_admin, route);
            if (response.StatusCode != HttpStatusCode.BadRequest || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                failures.Add($"{route.Method} {route.Path}: {(int)response.StatusCode}");
        }
        Assert.Empty(failures);
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, SweptRoute route, string? antiforgery = null)
    {
        var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path);
        if (!HttpMethods.IsGet(route.Method) && !HttpMethods.IsHead(route.Method))
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        if (antiforgery is not null) request.Headers.Add("RequestVerificationToken", antiforgery);
        return client.SendAsync(request);
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex RouteParameter();
}
