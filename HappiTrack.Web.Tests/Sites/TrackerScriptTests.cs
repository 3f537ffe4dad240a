using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using HappiTrack.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace HappiTrack.Web.Tests.Sites;

/// <summary><c>GET /t.js</c>: the embeddable loader (issue 20), under Trusty's tracker budget.</summary>
public class TrackerScriptTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int BudgetBytes = 2048;
    private readonly HappiTrackFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "HappiTrack.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("HappiTrack.sln not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public async Task The_loader_is_served_as_cacheable_javascript_that_other_origins_may_run_and_fits_the_gzip_budget()
    {
        var response = await _factory.CreateClient().GetAsync("/t.js");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.True(response.Headers.CacheControl is { Public: true, MaxAge: { } maxAge } && maxAge > TimeSpan.Zero && maxAge <= TimeSpan.FromDays(1),
            $"Cache-Control: {response.Headers.CacheControl}");
        Assert.Equal("cross-origin", response.Headers.GetValues("Cross-Origin-Resource-Policy").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());

        var served = await response.Content.ReadAsByteArrayAsync();
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
            await gzip.WriteAsync(served);
        output.WriteLine($"t.js as served: {served.Length} bytes, {compressed.Length} bytes gzipped (budget {BudgetBytes})");
        Console.WriteLine($"t.js as served: {served.Length} bytes, {compressed.Length} bytes gzipped (budget {BudgetBytes})");
        Assert.True(compressed.Length <= BudgetBytes, $"t.js is {compressed.Length} bytes gzipped, over the {BudgetBytes}-byte budget");
    }

    [Fact]
    public void The_minified_loader_was_built_from_the_current_source()
    {
        var root = RepositoryRoot();
        var source = File.ReadAllBytes(Path.Combine(root, "HappiTrack.Web/wwwroot/js/t.js"));
        var recorded = File.ReadAllText(Path.Combine(root, "tools/tracker/t.source.sha256")).Trim();
        Assert.True(Convert.ToHexStringLower(SHA256.HashData(source)) == recorded,
            "t.js changed since t.min.js was built: run tools/tracker/build.sh and commit both files.");
    }

    [Fact]
    public async Task The_loader_keeps_every_wire_name_the_site_endpoint_and_the_public_api()
    {
        var served = await _factory.CreateClient().GetStringAsync("/t.js");
        foreach (var name in new[] { "page_view", "product_view", "linger_specs", "click", "add_to_cart", "exit_intent",
                     "/api/sites/", "/track", "data-site", "localStorage", "ht_vid", "replaceState", "vid", "ht",
                     "sendBeacon", "keepalive", "omit", "sessionStorage", "beforeunload", "pagehide", "doNotTrack", "globalPrivacyControl",
                     "optOut", "optIn", "track", "data-ht-specs", "data-ht-product", "data-ht" })
            Assert.Contains(name, served);
    }
}
