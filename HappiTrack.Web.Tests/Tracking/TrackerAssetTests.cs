using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using HappiTrack.Web.Tests.Infrastructure;
using Xunit.Abstractions;

namespace HappiTrack.Web.Tests.Tracking;

public class TrackerAssetTests(ITestOutputHelper output) : IAsyncLifetime
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
    public async Task The_served_tracker_fits_the_gzip_budget()
    {
        var served = await _factory.CreateClient().GetByteArrayAsync("/js/tracker.min.js");

        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
            await gzip.WriteAsync(served);

        output.WriteLine($"tracker.min.js as served: {served.Length} bytes, {compressed.Length} bytes gzipped (budget {BudgetBytes})");
        Console.WriteLine($"tracker.min.js as served: {served.Length} bytes, {compressed.Length} bytes gzipped (budget {BudgetBytes})");
        Assert.True(compressed.Length <= BudgetBytes, $"tracker.min.js is {compressed.Length} bytes gzipped, over the {BudgetBytes}-byte budget");
    }

    [Fact]
    public void The_minified_tracker_was_built_from_the_current_source()
    {
        var root = RepositoryRoot();
        var source = File.ReadAllBytes(Path.Combine(root, "HappiTrack.Web/wwwroot/js/tracker.js"));
        var recorded = File.ReadAllText(Path.Combine(root, "tools/tracker/source.sha256")).Trim();
        Assert.True(Convert.ToHexStringLower(SHA256.HashData(source)) == recorded,
            "tracker.js changed since tracker.min.js was built: run tools/tracker/build.sh and commit both files.");
    }

    [Fact]
    public async Task The_minified_tracker_keeps_every_wire_name_and_the_public_switches()
    {
        var served = await _factory.CreateClient().GetStringAsync("/js/tracker.min.js");
        foreach (var name in new[] { "page_view", "product_view", "linger_specs", "click", "add_to_cart", "exit_intent", "mouse", "scroll_depth",
                     "/api/track", "sendBeacon", "keepalive", "sessionStorage", "beforeunload", "pagehide", "doNotTrack", "globalPrivacyControl", "optOut", "optIn", "data-ht-specs", "data-ht-product" })
            Assert.Contains(name, served);
    }

    [Fact]
    public async Task Store_pages_load_the_minified_tracker_deferred_and_versioned()
    {
        var html = await _factory.CreateClient().GetStringAsync("/");
        Assert.Matches(new Regex("""<script defer src="/js/tracker\.min\.js\?v=[\w-]+"></script>"""), html);
    }
}
