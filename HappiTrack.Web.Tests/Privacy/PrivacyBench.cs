using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace HappiTrack.Web.Tests.Privacy;

/// <summary>
/// Export and erase times for a contact with 100,000 events (issue 18's "done when"). A measurement,
/// not a check: the "Bench" category is left out of scripts/test.sh and run by bench/privacy/run.sh, which prints its figures.
/// </summary>
[Trait("Category", "Bench")]
public sealed class PrivacyBench(ITestOutputHelper output)
{
    [Fact]
    public async Task Export_and_erase_a_contact_with_100000_events()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("HT_BENCH_EVENTS"), out var n) ? n : 100_000;
        await using var app = new AdminFactory();
        var contact = await PrivacyKit.SeedAsync(app, "+4915100000031", "Bench Person", events: 0);
        var seed = Stopwatch.StartNew();
        for (var done = 0; done < count; done += 10_000)
        {
            var chunk = Math.Min(10_000, count - done);
            await app.WithDbAsync(async db =>
            {
                db.ChangeTracker.AutoDetectChangesEnabled = false;
                db.Events.AddRange(Enumerable.Range(done, chunk).Select(i => new TrackEvent
                {
                    Type = EventTypes.Mouse, VisitorId = contact.VisitorId, ContactId = contact.Id, OccurredAt = PrivacyKit.Now.AddDays(-2).AddSeconds(i),
                    Path = "/p/some-product", Data = """{"cells":[12,13,14,33,34],"w":1280}""", Source = EventSource.Client,
                }));
                await db.SaveChangesAsync();
            });
        }
        output.WriteLine($"provider {app.Provider}; seeded {count} events in {seed.Elapsed.TotalSeconds:0.0} s");
        using var api = PrivacyKit.ApiClient(app);
        await app.WithDbAsync(async db =>
        {
            var query = Stopwatch.StartNew();
            await foreach (var _ in db.Events.AsNoTracking().Where(e => e.VisitorId == contact.VisitorId).OrderBy(e => e.OccurredAt).ThenBy(e => e.Id).AsAsyncEnumerable())
            {
                output.WriteLine($"first event row from the database after {query.Elapsed.TotalMilliseconds:0} ms");
                break;
            }
        });

        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var export = Stopwatch.StartNew();
        using (var response = await api.GetAsync($"/api/contacts/{contact.Id}/export", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var firstByte = export.Elapsed;
            await using var stream = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[81920];
            long bytes = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0) bytes += read;
            output.WriteLine($"export: {export.Elapsed.TotalSeconds:0.00} s, first byte {firstByte.TotalMilliseconds:0} ms, {bytes / 1_048_576.0:0.0} MiB, managed heap after {(GC.GetTotalMemory(false) - before) / 1_048_576.0:0.0} MiB above start");
        }

        var erase = Stopwatch.StartNew();
        var erased = await api.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/contacts/{contact.Id}") { Content = JsonContent.Create(new { reason = "bench" }) });
        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        output.WriteLine($"erase: {erase.Elapsed.TotalSeconds:0.00} s ({await erased.Content.ReadAsStringAsync()})");
    }

    /// <summary>The same export from the app as a real process (Kestrel, Production): first byte, total, and the process's peak memory.</summary>
    [Fact]
    public async Task Export_from_real_kestrel_streams()
    {
        Assert.Null(AppProcess.SkipReason);
        var count = int.TryParse(Environment.GetEnvironmentVariable("HT_BENCH_EVENTS"), out var n) ? n : 100_000;
        var path = HappiTrackFactory.NewDatabasePath();
        int contactId;
        await using (var seedApp = new AdminFactory(path) { DeleteDatabaseOnDispose = false })
        {
            var contact = await PrivacyKit.SeedAsync(seedApp, "+4915100000032", "Bench Kestrel", events: 0);
            contactId = contact.Id;
            for (var done = 0; done < count; done += 10_000)
            {
                var chunk = Math.Min(10_000, count - done);
                await seedApp.WithDbAsync(async db =>
                {
                    db.ChangeTracker.AutoDetectChangesEnabled = false;
                    db.Events.AddRange(Enumerable.Range(done, chunk).Select(i => new TrackEvent
                    {
                        Type = EventTypes.Mouse, VisitorId = contact.VisitorId, ContactId = contact.Id, OccurredAt = PrivacyKit.Now.AddDays(-2).AddSeconds(i),
                        Path = "/p/some-product", Data = """{"cells":[12,13,14,33,34],"w":1280}""", Source = EventSource.Client,
                    }));
                    await db.SaveChangesAsync();
                });
            }
        }
        using var app = await AppProcess.StartAsync(new Dictionary<string, string>
        {
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:Default"] = $"Data Source={path}",
            ["Admin:ApiToken"] = AdminFactory.ConfiguredApiToken,
            ["Privacy:SuppressionKey"] = "bench-suppression-key-not-a-secret",
        });
        using var client = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminFactory.ConfiguredApiToken);
        using var process = Process.GetProcessById(app.Id);
        process.Refresh();
        var rssBefore = process.WorkingSet64;
        var export = Stopwatch.StartNew();
        using var response = await client.GetAsync($"/api/contacts/{contactId}/export", HttpCompletionOption.ResponseHeadersRead);
        var firstByte = export.Elapsed;
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[81920];
        long bytes = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0) bytes += read;
        process.Refresh();
        output.WriteLine($"kestrel export: {export.Elapsed.TotalSeconds:0.00} s, first byte {firstByte.TotalMilliseconds:0} ms, {bytes / 1_048_576.0:0.0} MiB, " +
            $"app RSS {rssBefore / 1_048_576.0:0} -> {process.WorkingSet64 / 1_048_576.0:0} MiB (peak {process.PeakWorkingSet64 / 1_048_576.0:0} MiB)");
        var erase = Stopwatch.StartNew();
        var erased = await client.DeleteAsync($"/api/contacts/{contactId}?reason=bench");
        output.WriteLine($"kestrel erase: {erase.Elapsed.TotalSeconds:0.00} s, {(int)erased.StatusCode}");
        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
    }
}
