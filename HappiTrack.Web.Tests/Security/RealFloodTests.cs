using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Tracking;
using Xunit.Abstractions;

namespace HappiTrack.Web.Tests.Security;

/// <summary>
/// SECURITY.md row 3 against the real app process on Kestrel, with the default rate limits: one
/// browser floods <c>/api/track</c> at 2,000 requests/s for 30 s from 127.0.0.1 while four other
/// browsers track from 127.0.0.2 (another address, as another household would be). The flooder
/// gets 429 after its 120 permits, nobody gets a 5xx, every other browser's event is accepted.
/// The others' latency is printed; the p99 bound is checked by bench/security/flood.sh, not here
/// (see SECURITY.md, row 3, for why).
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class RealFloodTests(ITestOutputHelper output)
{
    private const int DefaultVisitorPermits = 120;
    private static readonly IPAddress FlooderAddress = IPAddress.Parse("127.0.0.1");
    private static readonly IPAddress OthersAddress = IPAddress.Parse("127.0.0.2");

    /// <summary><c>HT_FLOOD_SECONDS</c> and <c>HT_FLOOD_RPS</c> (defaults 30 and 2,000) for the bench script.</summary>
    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    [RealProcessFact]
    public async Task A_flood_of_2000_requests_per_second_for_30_seconds_gets_429s_and_no_5xx_while_other_browsers_are_served()
    {
        var seconds = Setting("HT_FLOOD_SECONDS", 30);
        var rate = Setting("HT_FLOOD_RPS", 2000);
        var total = seconds * rate;
        var database = HappiTrackFactory.NewDatabasePath();
        using var app = await AppProcess.StartAsync(new Dictionary<string, string>
        {
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:Default"] = $"Data Source={database}",
        });
        try
        {
            using var flooder = Browser(app.BaseAddress, FlooderAddress, connections: 64);
            var others = Enumerable.Range(0, 4).Select(_ => Browser(app.BaseAddress, OthersAddress, connections: 1)).ToList();
            using var disposeOthers = new DisposeAll(others);
            // Each first request is cookie-less (it gets the visitor cookie); it also warms the connection up.
            Assert.Equal(HttpStatusCode.Accepted, await TrackAsync(flooder));
            foreach (var other in others) Assert.Equal(HttpStatusCode.Accepted, await TrackAsync(other));

            var flood = new ConcurrentDictionary<int, int>();
            var floodErrors = 0;
            var next = -1;
            var cpuBefore = app.CpuTime;
            var started = Stopwatch.StartNew();
            using var floodOver = new CancellationTokenSource();
            var senders = Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < total)
                {
                    // Paced: request i is due at i / rate seconds; a sender that is behind sends at once.
                    var due = TimeSpan.FromSeconds((double)i / rate) - started.Elapsed;
                    if (due > TimeSpan.FromMilliseconds(1)) await Task.Delay(due);
                    try
                    {
                        var status = (int)await TrackAsync(flooder);
                        flood.AddOrUpdate(status, 1, (_, n) => n + 1);
                    }
                    catch (HttpRequestException)
                    {
                        Interlocked.Increment(ref floodErrors);
                    }
                }
            })).ToList();

            var otherStatuses = new ConcurrentDictionary<int, int>();
            var otherMs = new ConcurrentBag<double>();
            var honest = others.Select(other => Task.Run(async () =>
            {
                var random = new Random();
                while (!floodOver.IsCancellationRequested)
                {
                    // About 3 requests/s each: 90 in 30 s, inside the visitor limit of 120 a minute.
                    await Task.Delay(random.Next(250, 420));
                    if (floodOver.IsCancellationRequested) break;
                    var watch = Stopwatch.StartNew();
                    var status = (int)await TrackAsync(other);
                    otherMs.Add(watch.Elapsed.TotalMilliseconds);
                    otherStatuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                }
            })).ToList();

            await Task.WhenAll(senders);
            var floodSeconds = started.Elapsed.TotalSeconds;
            await floodOver.CancelAsync();
            await Task.WhenAll(honest);
            var cpu = app.CpuTime - cpuBefore;

            var sorted = otherMs.Order().ToList();
            double Percentile(double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(sorted.Count * p) - 1)];
            output.WriteLine(
                $"flood: {total} requests in {floodSeconds:0.0} s ({total / floodSeconds:0} req/s achieved, {rate} targeted): " +
                $"{string.Join(", ", flood.OrderBy(f => f.Key).Select(f => $"{f.Key}×{f.Value}"))}, {floodErrors} connection errors; " +
                $"other browsers: {string.Join(", ", otherStatuses.OrderBy(f => f.Key).Select(f => $"{f.Key}×{f.Value}"))}, " +
                $"latency p50 {Percentile(0.50):0.0} ms, p99 {Percentile(0.99):0.0} ms, max {sorted[^1]:0.0} ms over {sorted.Count} requests; " +
                $"app CPU {cpu.TotalSeconds:0.0} s = {cpu.TotalMilliseconds * 1000 / (total + sorted.Count):0} µs per request ({cpu.TotalSeconds / floodSeconds * 100:0} % of one core); " +
                $"load average {KillDuringIngestionTests.LoadAverage()}; {Environment.ProcessorCount} cores");

            Assert.Equal(0, floodErrors);
            Assert.Equal(DefaultVisitorPermits, flood.GetValueOrDefault(202));
            Assert.Equal(total - DefaultVisitorPermits, flood.GetValueOrDefault(429));
            Assert.Equal(2, flood.Count);
            Assert.Equal([202], otherStatuses.Keys);
            Assert.True(sorted.Count >= others.Count * seconds, $"the other browsers made only {sorted.Count} requests");
        }
        finally
        {
            app.Kill();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                try { File.Delete(database + suffix); } catch (IOException) { }
            }
        }
    }

    private static readonly byte[] Body = Encoding.UTF8.GetBytes(TrackingHttp.Payload(TrackingHttp.PageView));

    private static async Task<HttpStatusCode> TrackAsync(HttpClient client)
    {
        using var content = new ByteArrayContent(Body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync("/api/track", content);
        return response.StatusCode;
    }

    /// <summary>A browser (its own cookie jar) whose connections come from <paramref name="source"/>, another loopback address.</summary>
    private static HttpClient Browser(Uri baseAddress, IPAddress source, int connections)
    {
        var handler = new SocketsHttpHandler
        {
            UseCookies = true,
            MaxConnectionsPerServer = connections,
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.UserAgent.ParseAdd(TrackingHttp.BrowserUserAgent);
        return client;
    }
}

internal sealed class DisposeAll(IEnumerable<IDisposable> items) : IDisposable
{
    public void Dispose()
    {
        foreach (var item in items) item.Dispose();
    }
}
