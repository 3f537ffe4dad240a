using System.Collections.Concurrent;
using System.Net;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Tracking;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace HappiTrack.Web.Tests.Security;

/// <summary>
/// SECURITY.md row 5: the real app process is SIGKILLed at random moments while several clients
/// post tracker batches, and restarted on the same SQLite file, ten times. Every event that was
/// answered 202 must be in the file afterwards, and the file must pass <c>PRAGMA integrity_check</c>.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class KillDuringIngestionTests(ITestOutputHelper output)
{
    private const int Kills = 10;
    private const int Clients = 6;
    private const int EventsPerBatch = 5;
    private const string LabelPrefix = "/kill/";

    [RealProcessFact]
    public async Task Ten_kill_9s_during_ingestion_lose_no_acknowledged_event_and_leave_an_intact_database()
    {
        var database = HappiTrackFactory.NewDatabasePath();
        var settings = new Dictionary<string, string>
        {
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:Default"] = $"Data Source={database}",
            ["Tracking:RateLimit:VisitorPermits"] = "1000000",
            ["Tracking:RateLimit:IpPermits"] = "1000000",
        };
        var acknowledged = new ConcurrentDictionary<string, byte>();
        var random = new Random();
        var startups = new List<TimeSpan>();
        var otherStatuses = new ConcurrentDictionary<string, int>();
        try
        {
            for (var round = 0; round < Kills; round++)
            {
                using var app = await AppProcess.StartAsync(settings);
                startups.Add(app.StartupTime);
                using var stop = new CancellationTokenSource();
                var senders = Enumerable.Range(0, Clients)
                    .Select(client => SendUntilStoppedAsync(app.BaseAddress, $"{round}-{client}", acknowledged, otherStatuses, stop.Token))
                    .ToList();
                // Random moments: anywhere from the first batches to well into sustained load.
                await Task.Delay(random.Next(200, 2500));
                app.Kill();
                await stop.CancelAsync();
                await Task.WhenAll(senders);
            }

            // The restart after the last kill: the app comes up on the file and still ingests.
            using (var last = await AppProcess.StartAsync(settings))
            {
                startups.Add(last.StartupTime);
                using var client = Browser(last.BaseAddress);
                var after = await client.TrackAsync(TrackingHttp.Payload(PageView(LabelPrefix + "after-restart")));
                Assert.Equal(HttpStatusCode.Accepted, after.StatusCode);
                acknowledged[LabelPrefix + "after-restart"] = 0;
                last.Kill();
            }

            SqliteConnection.ClearAllPools();
            await using var connection = new SqliteConnection($"Data Source={database}");
            await connection.OpenAsync();
            await using (var check = connection.CreateCommand())
            {
                check.CommandText = "PRAGMA integrity_check";
                Assert.Equal("ok", (string?)await check.ExecuteScalarAsync());
            }
            var stored = new HashSet<string>(StringComparer.Ordinal);
            await using (var query = connection.CreateCommand())
            {
                query.CommandText = "SELECT Path FROM Events WHERE Path LIKE '/kill/%'";
                await using var reader = await query.ExecuteReaderAsync();
                while (await reader.ReadAsync()) Assert.True(stored.Add(reader.GetString(0)), $"stored twice: {reader.GetString(0)}");
            }

            var lost = acknowledged.Keys.Where(label => !stored.Contains(label)).ToList();
            output.WriteLine($"{Kills} kills; {acknowledged.Count} events acknowledged with 202, {stored.Count} stored " +
                             $"({stored.Count - acknowledged.Count + lost.Count} stored without an answer: in flight at the kill), {lost.Count} lost; " +
                             $"restart to listening: median {Median(startups).TotalMilliseconds:0} ms, max {startups.Max().TotalMilliseconds:0} ms; " +
                             $"other outcomes: {string.Join(", ", otherStatuses.Select(s => $"{s.Key}×{s.Value}"))}; load average {LoadAverage()}");
            Assert.Empty(lost);
            Assert.True(acknowledged.Count > Kills * 50, $"only {acknowledged.Count} events were acknowledged: the kills did not hit an app under load");
            Assert.DoesNotContain(otherStatuses.Keys, status => status.StartsWith('5') && status != "503");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                try { File.Delete(database + suffix); } catch (IOException) { }
            }
        }
    }

    /// <summary>One browser (its own cookie) posting batches back to back; a label counts only once answered 202.</summary>
    private static async Task SendUntilStoppedAsync(Uri baseAddress, string client, ConcurrentDictionary<string, byte> acknowledged,
        ConcurrentDictionary<string, int> otherStatuses, CancellationToken stop)
    {
        using var http = Browser(baseAddress);
        for (var batch = 0; !stop.IsCancellationRequested; batch++)
        {
            var labels = Enumerable.Range(0, EventsPerBatch).Select(i => $"{LabelPrefix}{client}-{batch}-{i}").ToList();
            HttpResponseMessage response;
            try
            {
                response = await http.TrackAsync(TrackingHttp.Payload(labels.Select(PageView).ToArray()));
            }
            catch (HttpRequestException)
            {
                return; // the server died mid-request: this batch has no answer, so it is not counted
            }
            catch (OperationCanceledException)
            {
                return;
            }
            using (response)
            {
                if (response.StatusCode == HttpStatusCode.Accepted)
                    foreach (var label in labels) acknowledged[label] = 0;
                else
                    otherStatuses.AddOrUpdate(((int)response.StatusCode).ToString(), 1, (_, n) => n + 1);
            }
        }
    }

    private static HttpClient Browser(Uri baseAddress)
    {
        var client = new HttpClient(new SocketsHttpHandler { UseCookies = true, PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
        client.DefaultRequestHeaders.UserAgent.ParseAdd(TrackingHttp.BrowserUserAgent);
        return client;
    }

    private static string PageView(string path) => $$$"""{"type":"page_view","data":{"path":"{{{path}}}"}}""";

    private static TimeSpan Median(List<TimeSpan> values) => values.Order().ElementAt(values.Count / 2);

    internal static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }
}
