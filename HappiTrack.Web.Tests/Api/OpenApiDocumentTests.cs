using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Infrastructure;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace HappiTrack.Web.Tests.Api;

/// <summary>
/// Issue 20: <c>/openapi/v1.json</c> describes exactly the <c>/api</c> endpoints the app maps (read from its own
/// endpoint data, so an endpoint added or removed later fails here until the document follows), each with a summary
/// and its problem+json errors, and admin endpoints with their credentials.
/// </summary>
public sealed partial class OpenApiDocumentTests : IAsyncLifetime
{
    private readonly AdminFactory _factory = new();
    private string _json = "";
    private JsonElement _doc;

    public async Task InitializeAsync()
    {
        var response = await _factory.NewClient().GetAsync(OpenApiSetup.DocumentPath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        _json = await response.Content.ReadAsStringAsync();
        _doc = JsonDocument.Parse(_json).RootElement;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

    private IEnumerable<(string Method, string Path, JsonElement Operation)> Operations() =>
        from path in _doc.GetProperty("paths").EnumerateObject()
        from op in path.Value.EnumerateObject()
        where Methods.Contains(op.Name)
        select (op.Name.ToUpperInvariant(), path.Name, op.Value);

    /// <summary>Every /api route and method the app maps, with route constraints dropped as OpenAPI paths drop them.</summary>
    private List<(string Method, string Path, bool IsAdmin)> MappedApiEndpoints()
    {
        var endpoints = new List<(string, string, bool)>();
        foreach (var endpoint in _factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var path = "/" + (endpoint.RoutePattern.RawText ?? "").Trim('/');
            if (!path.StartsWith("/api/", StringComparison.OrdinalIgnoreCase) && path != "/api") continue;
            path = Constraint().Replace(path, "{$1}");
            var isAdmin = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == AuthPolicies.AdminApi);
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
                endpoints.Add((method, path, isAdmin));
        }
        return endpoints;
    }

    [GeneratedRegex(@"\{([^}:=?*]+)[^}]*\}")]
    private static partial Regex Constraint();

    [Fact]
    public void Every_mapped_api_endpoint_is_in_the_document_and_nothing_else_is()
    {
        var mapped = MappedApiEndpoints().Select(e => $"{e.Method} {e.Path}").ToHashSet();
        var documented = Operations().Select(o => $"{o.Method} {o.Path}").ToHashSet();

        Assert.True(mapped.Count >= 18, $"only {mapped.Count} API endpoints found: {string.Join(", ", mapped)}");
        Assert.Empty(mapped.Except(documented).Order());
        Assert.Empty(documented.Except(mapped).Order());
    }

    [Fact]
    public void Every_operation_has_a_name_a_summary_and_problem_json_for_each_4xx_it_declares()
    {
        var failures = new List<string>();
        foreach (var (method, path, op) in Operations())
        {
            var at = $"{method} {path}";
            if (!op.TryGetProperty("summary", out var summary) || string.IsNullOrWhiteSpace(summary.GetString())) failures.Add($"{at}: no summary");
            if (!op.TryGetProperty("operationId", out _)) failures.Add($"{at}: no operationId");
            var clientErrors = op.GetProperty("responses").EnumerateObject().Where(r => r.Name.StartsWith('4')).ToList();
            if (clientErrors.Count == 0) failures.Add($"{at}: no 4xx response");
            foreach (var response in clientErrors)
            {
                if (!response.Value.TryGetProperty("content", out var content)
                    || !content.TryGetProperty("application/problem+json", out var problem)
                    || problem.GetProperty("schema").GetProperty("$ref").GetString() is not ("#/components/schemas/ProblemDetails" or "#/components/schemas/ValidationProblemDetails"))
                    failures.Add($"{at}: {response.Name} is not a ProblemDetails/ValidationProblemDetails as application/problem+json");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Admin_operations_declare_their_credentials_and_401_403_and_public_ones_none()
    {
        var admin = MappedApiEndpoints().Where(e => e.IsAdmin).Select(e => $"{e.Method} {e.Path}").ToHashSet();
        Assert.Contains("POST /api/campaign/broadcast", admin);
        Assert.DoesNotContain("POST /api/track", admin);
        var schemes = _doc.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("bearer", schemes.GetProperty(OpenApiSetup.BearerScheme).GetProperty("scheme").GetString());
        Assert.Equal("cookie", schemes.GetProperty(OpenApiSetup.SessionScheme).GetProperty("in").GetString());

        var failures = new List<string>();
        foreach (var (method, path, op) in Operations())
        {
            var at = $"{method} {path}";
            var security = op.TryGetProperty("security", out var s) ? s.EnumerateArray().Select(r => string.Join("+", r.EnumerateObject().Select(p => p.Name).Order())).ToList() : [];
            if (!admin.Contains(at))
            {
                if (security.Count > 0) failures.Add($"{at}: public but declares {string.Join(", ", security)}");
                continue;
            }
            var responses = op.GetProperty("responses");
            foreach (var status in new[] { "401", "403" })
                if (!responses.TryGetProperty(status, out _)) failures.Add($"{at}: no {status}");
            var unsafeMethod = method is not ("GET" or "HEAD");
            var session = unsafeMethod ? "antiforgery+session" : "session";
            if (!security.Contains(session)) failures.Add($"{at}: no '{session}' requirement ({string.Join(", ", security)})");
            if (unsafeMethod && !responses.TryGetProperty("400", out _)) failures.Add($"{at}: unsafe without the antiforgery 400");
            var tokenEndpoint = path.StartsWith("/api/admin/api-tokens", StringComparison.Ordinal);
            if (tokenEndpoint == security.Contains("bearer")) failures.Add($"{at}: bearer {(tokenEndpoint ? "offered where it is refused" : "missing")}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void The_document_is_valid_OpenAPI_3_with_every_reference_resolved()
    {
        Assert.StartsWith("3.", _doc.GetProperty("openapi").GetString());
        var (document, diagnostic) = OpenApiDocument.Parse(_json, "json");
        Assert.NotNull(document);
        Assert.Empty(diagnostic!.Errors.Select(e => $"{e.Pointer}: {e.Message}"));
        Assert.Empty(document.Validate(ValidationRuleSet.GetDefaultRuleSet())!.Select(e => $"{e.Pointer}: {e.Message}"));

        var schemas = _doc.GetProperty("components").GetProperty("schemas");
        var schemes = _doc.GetProperty("components").GetProperty("securitySchemes");
        var refs = Reference().Matches(_json).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(refs);
        Assert.DoesNotContain(refs, r => !(r.StartsWith("#/components/schemas/", StringComparison.Ordinal) && schemas.TryGetProperty(r["#/components/schemas/".Length..], out _)));
        foreach (var (_, _, op) in Operations().Where(o => o.Operation.TryGetProperty("security", out _)))
            foreach (var requirement in op.GetProperty("security").EnumerateArray())
                foreach (var scheme in requirement.EnumerateObject())
                    Assert.True(schemes.TryGetProperty(scheme.Name, out _), scheme.Name);
        Assert.True(schemas.TryGetProperty("ProblemDetails", out _));
        Assert.True(schemas.GetProperty("ValidationProblemDetails").GetProperty("properties").TryGetProperty("errors", out _));
    }

    [GeneratedRegex("\"\\$ref\"\\s*:\\s*\"([^\"]+)\"")]
    private static partial Regex Reference();

    [Fact]
    public void The_description_explains_the_signing_scheme_of_the_commerce_events_API()
    {
        var description = _doc.GetProperty("info").GetProperty("description").GetString()!;
        foreach (var text in new[] { "POST /api/sites/{key}/events", "X-HappiTrack-Signature: sha256=", "HMAC-SHA256", "Idempotency-Key", "RequestVerificationToken", "application/problem+json" })
            Assert.Contains(text, description);
        // Request bodies the endpoints read by hand are still described.
        var track = _doc.GetProperty("paths").GetProperty("/api/track").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        Assert.True(track.TryGetProperty("application/json", out _));
        Assert.True(track.TryGetProperty("text/plain", out _));
    }
}

/// <summary>The document holds no secret and is public in Production too; the rendered reference is for admins and loads nothing from elsewhere.</summary>
public sealed class OpenApiProductionTests : IAsyncLifetime
{
    private readonly AdminFactory _factory = new(HappiTrackFactory.NewDatabasePath(), environment: "Production");

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task The_document_is_served_anonymously_in_Production_without_secrets()
    {
        var response = await _factory.NewClient().GetAsync(OpenApiSetup.DocumentPath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"/api/campaign/broadcast\"", json);
        Assert.DoesNotContain(AdminFactory.ConfiguredApiToken, json);
        Assert.DoesNotContain(AdminFactory.AdminEmail, json);
    }

    [Fact]
    public async Task The_reference_page_needs_an_admin_and_serves_its_own_scripts_under_its_nonce()
    {
        var anonymous = await _factory.NewClient().GetAsync(OpenApiSetup.ReferencePath);
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Equal("/admin/login", anonymous.Headers.Location?.AbsolutePath);

        var admin = await _factory.AdminClientAsync();
        var page = await admin.GetAsync(OpenApiSetup.ReferencePath);
        // Scalar moves to the path with a slash, so that its assets resolve under it.
        if (page.StatusCode == HttpStatusCode.Redirect)
        {
            var target = new Uri(page.RequestMessage!.RequestUri!, page.Headers.Location!);
            Assert.Equal(OpenApiSetup.ReferencePath + "/", target.AbsolutePath);
            page = await admin.GetAsync(target);
        }
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var csp = string.Join(",", page.Headers.GetValues("Content-Security-Policy"));
        var scriptSrc = csp.Split(';').Select(d => d.Trim()).Single(d => d.StartsWith("script-src ", StringComparison.Ordinal));
        Assert.DoesNotContain("'unsafe-inline'", scriptSrc);
        Assert.Contains("connect-src 'self'", csp);

        var html = new HtmlParser().ParseDocument(await page.Content.ReadAsStringAsync());
        var scripts = html.QuerySelectorAll("script").ToList();
        Assert.NotEmpty(scripts);
        var bundled = false;
        foreach (var script in scripts)
        {
            // Inline or not, each script runs only because it carries this response's nonce.
            Assert.Contains($"'nonce-{script.GetAttribute("nonce")}'", scriptSrc);
            if (script.GetAttribute("src") is not { } src) continue;
            var url = new Uri(new Uri("http://localhost" + OpenApiSetup.ReferencePath + "/"), src);
            Assert.Equal("localhost", url.Host);
            var asset = await admin.GetAsync(url.PathAndQuery);
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.Equal("text/javascript", asset.Content.Headers.ContentType?.MediaType);
            bundled |= src == "scalar.js" && (await asset.Content.ReadAsByteArrayAsync()).Length > 500_000;
        }
        Assert.True(bundled, "the page does not load Scalar's bundled script from this app");
        // Nothing on the page points to another host (fonts, styles, icons).
        foreach (var element in html.QuerySelectorAll("link[href], img[src]"))
        {
            var target = element.GetAttribute("href") ?? element.GetAttribute("src")!;
            Assert.False(Uri.TryCreate(target, UriKind.Absolute, out var absolute) && absolute.Scheme.StartsWith("http", StringComparison.Ordinal), target);
        }
        // The page reads this app's document (resolved against the site's root by scalar.aspnetcore.js), and calls no one home.
        var setup = scripts.Single(s => s.GetAttribute("src") is null).TextContent;
        Assert.Contains("\"url\":\"openapi/v1.json\"", setup);
        foreach (var off in new[] { "\"telemetry\":false", "\"withDefaultFonts\":false", "\"agent\":{\"disabled\":true}", "\"mcp\":{\"disabled\":true}" })
            Assert.Contains(off, setup);
    }
}
