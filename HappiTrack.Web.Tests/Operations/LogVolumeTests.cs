using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Admin;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Security;
using Xunit.Abstractions;

namespace HappiTrack.Web.Tests.Operations;

/// <summary>
/// Issue 16 part 2, on the real process with the shipped appsettings.json (only the test harness's
/// Default=Warning is put back to the shipped Information): a fresh database, start-up, 100 store
/// pages, 10 admin sign-in pages and 100 tracker batches of 10 events, then the jobs' idle time.
/// Before the fix this printed thousands of lines (every SQL command, a warning per sign-in page).
/// </summary>
[Collection(RealProcesses.Name)]
public sealed partial class LogVolumeTests(ITestOutputHelper output)
{
    private const string BrowserUserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
    private static readonly string[] StorePages = ["/", "/product/lenovo-loq-15", "/cart", "/checkout"];
    private static readonly string Batch = "{\"v\":1,\"events\":[" + string.Join(",", Enumerable.Repeat("""{"type":"page_view","data":{"path":"/"}}""", 10)) + "]}";

    [RealProcessFact]
    public async Task A_production_app_serving_100_pages_and_100_tracker_batches_logs_one_line_per_page_and_nothing_per_batch()
    {
        using var files = new TempFiles();
        using var app = await AppProcess.StartAsync(new Dictionary<string, string>
        {
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:Default"] = $"Data Source={files.Path("app.db")}",
            ["Jobs:Sqlite:Path"] = files.Path("jobs.db"),
            ["Logging:LogLevel:Default"] = "Information",
        });
        var startup = await WaitForBannerAsync(app);

        using var client = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = app.BaseAddress };
        client.DefaultRequestHeaders.UserAgent.ParseAdd(BrowserUserAgent);
        for (var i = 0; i < 100; i++)
        {
            using var page = await client.GetAsync(StorePages[i % StorePages.Length]);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            using var content = new StringContent(Batch, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var batch = await client.PostAsync("/api/track", content);
            Assert.Equal(HttpStatusCode.Accepted, batch.StatusCode);
        }
        for (var i = 0; i < 10; i++)
        {
            using var login = await client.GetAsync(IdentitySetup.LoginPath);
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        }
        // The projector (every 5 s) and the other recurring jobs run on the events meanwhile.
        await Task.Delay(TimeSpan.FromSeconds(7));

        var all = app.Output.ToList();
        var after = all.Skip(startup.Count).ToList();
        var requestLines = after.Count(l => l.Contains("HappiTrack.Requests:", StringComparison.Ordinal));
        output.WriteLine($"start-up: {startup.Count} lines; 210 requests + 7 s of jobs: {after.Count} lines, {requestLines} request lines; load average {KillDuringIngestionTests.LoadAverage()}");
        output.WriteLine(string.Join('\n', all.Where(l => !l.Contains("HappiTrack.Requests:", StringComparison.Ordinal))));

        Assert.DoesNotContain(all, l => l.Contains("Executed DbCommand", StringComparison.Ordinal));
        Assert.DoesNotContain(all, l => l.Contains("Antiforgery", StringComparison.Ordinal));
        Assert.DoesNotContain(after, l => l.Contains("/api/track", StringComparison.Ordinal));
        Assert.Equal(110, requestLines);
        Assert.True(startup.Count <= 20, $"{startup.Count} lines of start-up output on a fresh database");
        Assert.True(after.Count <= 110 + 5, $"{after.Count} lines for 110 pages and 100 tracker batches");
        Assert.All(after, l => Assert.Matches(LogLine(), l));
    }

    [RealProcessFact]
    public async Task Fresh_development_start_ends_with_the_banner_and_the_seeded_credentials()
    {
        using var files = new TempFiles();
        using var app = await AppProcess.StartAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:Default"] = $"Data Source={files.Path("app.db")}",
            ["Jobs:Sqlite:Path"] = files.Path("jobs.db"),
            ["Logging:LogLevel:Default"] = "Information",
        });
        var startup = await WaitForBannerAsync(app);
        // Anything the start-up still had on its way (job servers, seeders) would print within this time.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var lines = app.Output.ToList();
        output.WriteLine(string.Join('\n', lines));

        var banner = lines.FindIndex(l => l.StartsWith("HappiTrack is running (Development)", StringComparison.Ordinal));
        Assert.True(banner > lines.FindLastIndex(l => l.Contains("Microsoft.Hosting.Lifetime", StringComparison.Ordinal)), "the banner comes after the host's own lines");
        Assert.Contains(lines, l => l.Contains($"Store: {app.BaseAddress.ToString().TrimEnd('/')}/", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"{AdminSeeder.DevelopmentEmail} / {AdminSeeder.DevelopmentPassword}", StringComparison.Ordinal));
        Assert.Equal("Press Ctrl+C to stop.", lines.Last(l => l.Length > 0));
        Assert.True(startup.Count <= 20, $"{startup.Count} lines of start-up output on a fresh database");
    }

    /// <summary>The output up to and including the banner's last line.</summary>
    private static async Task<List<string>> WaitForBannerAsync(AppProcess app)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var lines = app.Output.ToList();
            var end = lines.FindIndex(l => l == "Press Ctrl+C to stop.");
            if (end >= 0) return lines.Take(end + 2).ToList(); // and the blank line after it
            Assert.True(DateTime.UtcNow < deadline, "no banner within 60 s:\n" + string.Join('\n', lines));
            await Task.Delay(50);
        }
    }

    [GeneratedRegex(@"^\d\d:\d\d:\d\d (info|warn|fail|crit): \S+: ")]
    private static partial Regex LogLine();
}

/// <summary>A private directory for a test's database files, removed afterwards.</summary>
internal sealed class TempFiles : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("happitrack-ops-").FullName;

    public string Path(string name) => System.IO.Path.Combine(_directory, name);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { /* the OS temp dir cleans up */ }
    }
}
