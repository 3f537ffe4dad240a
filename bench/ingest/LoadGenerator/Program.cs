// Load generator for POST /api/track. Many virtual visitors, each with its own ht_vid cookie, post
// realistic tracker batches; only 202 answers count as acknowledged events (the server sends 202
// after the commit). Two modes:
//   closed  N workers post back-to-back for the duration: the sustained maximum.
//   rate    requests are started on a fixed schedule (open loop) to hold a target events/s; latency
//           is measured from each request's scheduled start, so a stalled server cannot hide its queueing.
// Usage: LoadGenerator --url http://127.0.0.1:5099 --mode closed|rate [--concurrency 32] [--rate 5000]
//        [--seconds 20] [--warmup 3] [--visitors 2000] [--label text] [--db path/to/happitrack.db | --db "Host=...;Database=..." (PostgreSQL)]
//        LoadGenerator --mode limit --schema-from app.db --db scratch.db [--seconds 20] [--group 64]: SQLite's own limit (Limit.cs).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Data.Sqlite;

var options = Options.Parse(args);
if (options.Mode == "limit")
    return Limit.Run(options.SchemaFrom ?? throw new ArgumentException("--mode limit needs --schema-from <the app's database>"),
        options.Db ?? throw new ArgumentException("--mode limit needs --db <a scratch file>"), options.Seconds, options.Group, options.Label);
using var http = new HttpClient(new SocketsHttpHandler
{
    UseCookies = false,
    MaxConnectionsPerServer = 512,
    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
    AutomaticDecompression = DecompressionMethods.None,
})
{ BaseAddress = new Uri(options.Url), Timeout = TimeSpan.FromSeconds(30) };

await WaitForServerAsync(http);
var visitors = await Visitor.CreateManyAsync(http, options.Visitors);
if (options.WarmupSeconds > 0)
    await RunAsync(http, visitors, options with { Seconds = options.WarmupSeconds }, new Stats());
var storedBefore = CountStoredEvents(options.Db);
var appCpuBefore = AppCpuSeconds(options.AppPid);
var ownCpuBefore = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

var stats = new Stats();
var elapsed = await RunAsync(http, visitors, options, stats);
var storedAfter = CountStoredEvents(options.Db);
var appCpu = AppCpuSeconds(options.AppPid) - appCpuBefore;
var ownCpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - ownCpuBefore;
stats.Print(options, elapsed, storedAfter - storedBefore, appCpu, ownCpu);
return stats.Errors == 0 ? 0 : 1;

static async Task<TimeSpan> RunAsync(HttpClient http, Visitor[] visitors, Options options, Stats stats)
{
    var duration = TimeSpan.FromSeconds(options.Seconds);
    var clock = Stopwatch.StartNew();
    if (options.Mode == "closed")
    {
        var workers = Enumerable.Range(0, options.Concurrency).Select(w => Task.Run(async () =>
        {
            // Each worker owns its visitors, so no visitor ever has two requests in flight, as in a browser.
            var mine = visitors.Where((_, i) => i % options.Concurrency == w).ToArray();
            var random = new Random(w);
            while (clock.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                await PostAsync(http, mine[random.Next(mine.Length)], random, stats, started);
            }
        }));
        await Task.WhenAll(workers);
    }
    else
    {
        var requestsPerSecond = options.Rate / Batches.MeanEvents;
        var interval = Stopwatch.Frequency / requestsPerSecond;
        var inFlight = new List<Task>();
        var random = new Random(1);
        var next = 0L;
        var start = Stopwatch.GetTimestamp();
        var cursor = 0;
        while (clock.Elapsed < duration)
        {
            var scheduled = start + (long)(next * interval);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), scheduled);
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
            else if (wait > TimeSpan.Zero) Thread.SpinWait(50);
            while (Stopwatch.GetTimestamp() >= scheduled && clock.Elapsed < duration)
            {
                var visitor = visitors[cursor++ % visitors.Length];
                inFlight.Add(PostAsync(http, visitor, new Random(random.Next()), stats, scheduled));
                next++;
                scheduled = start + (long)(next * interval);
            }
            if (inFlight.Count > 4096) inFlight.RemoveAll(t => t.IsCompleted);
        }
        await Task.WhenAll(inFlight);
    }
    return clock.Elapsed;
}

static async Task PostAsync(HttpClient http, Visitor visitor, Random random, Stats stats, long startedAt)
{
    var (body, events) = Batches.Pick(random);
    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/track") { Content = new ByteArrayContent(body) };
    request.Content.Headers.TryAddWithoutValidation("Content-Type", "text/plain;charset=UTF-8");
    request.Headers.TryAddWithoutValidation("Cookie", visitor.Cookie);
    request.Headers.TryAddWithoutValidation("User-Agent", Visitor.UserAgent);
    try
    {
        using var response = await http.SendAsync(request);
        var latency = Stopwatch.GetElapsedTime(startedAt);
        if (response.StatusCode == HttpStatusCode.Accepted) stats.Ok(events, latency);
        else stats.Error($"HTTP {(int)response.StatusCode}");
    }
    catch (Exception ex)
    {
        stats.Error(ex.GetType().Name);
    }
}

static async Task WaitForServerAsync(HttpClient http)
{
    for (var i = 0; i < 120; i++)
    {
        try
        {
            using var response = await http.GetAsync("/js/tracker.min.js");
            if (response.IsSuccessStatusCode) return;
        }
        catch (HttpRequestException) { }
        await Task.Delay(500);
    }
    throw new TimeoutException("The app did not answer within 60 s.");
}

// CPU seconds the app has used (utime + stime from /proc): a figure that still means something
// when other work shares the cores.
static double AppCpuSeconds(int? pid)
{
    if (pid is null) return double.NaN;
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    const double ticksPerSecond = 100; // USER_HZ on Linux
    return (long.Parse(fields[11]) + long.Parse(fields[12])) / ticksPerSecond;
}

static long CountStoredEvents(string? db)
{
    if (db is null) return -1;
    if (db.StartsWith("Host=", StringComparison.Ordinal))
    {
        using var pg = new Npgsql.NpgsqlConnection(db);
        pg.Open();
        using var count = new Npgsql.NpgsqlCommand("SELECT COUNT(*) FROM \"Events\"", pg);
        return (long)count.ExecuteScalar()!;
    }
    using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly");
    connection.Open();
    using var command = connection.CreateCommand();
    command.CommandText = "SELECT COUNT(*) FROM Events";
    return (long)command.ExecuteScalar()!;
}

sealed record Options(string Url, string Mode, int Concurrency, double Rate, int Seconds, int WarmupSeconds, int Visitors, string Label, string? Db, int? AppPid,
    string? SchemaFrom = null, int Group = 64)
{
    public static Options Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var db = Get("db", "");
        var pid = Get("app-pid", "");
        return new Options(Get("url", "http://127.0.0.1:5099"), Get("mode", "closed"), int.Parse(Get("concurrency", "32")),
            double.Parse(Get("rate", "5000"), CultureInfo.InvariantCulture), int.Parse(Get("seconds", "20")),
            int.Parse(Get("warmup", "3")), int.Parse(Get("visitors", "2000")), Get("label", ""), db == "" ? null : db, pid == "" ? null : int.Parse(pid),
            Get("schema-from", "") is { Length: > 0 } schema ? schema : null, int.Parse(Get("group", "64")));
    }
}

sealed class Visitor(string cookie)
{
    public const string UserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
    public string Cookie { get; } = cookie;

    /// <summary>Each visitor's first request gets its cookie from the server, as a browser's would.</summary>
    public static async Task<Visitor[]> CreateManyAsync(HttpClient http, int count)
    {
        var visitors = new Visitor[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/track")
            {
                Content = new StringContent("""{"v":1,"events":[{"type":"page_view","data":{"path":"/"}}]}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
            using var response = await http.SendAsync(request, ct);
            if (response.StatusCode != HttpStatusCode.Accepted) throw new InvalidOperationException($"Visitor set-up got HTTP {(int)response.StatusCode}");
            var setCookie = response.Headers.GetValues("Set-Cookie").First(c => c.StartsWith("ht_vid=", StringComparison.Ordinal));
            visitors[i] = new Visitor(setCookie.Split(';')[0]);
        });
        return visitors;
    }
}

/// <summary>Batches shaped like the tracker's: mostly a few events per page, sometimes a long session flush.</summary>
static class Batches
{
    private static readonly string[] Slugs =
        ["lenovo-loq-15", "no-such-product", "lenovo-loq-15", "lenovo-loq-15"];

    public const double MeanEvents = 10.0;

    // Built once: serialising a body per request cost the load generator about a quarter of a core at
    // 5,000 events/s, on the same two cores as the app. Their "ts" ages by the run's length, well
    // inside the server's clamping window.
    private static readonly (byte[] Body, int Events, int[] Stamps)[] Pool = BuildPool(4096);

    /// <summary>Events carry the tracker's client ids (SPEC §10) unless HT_BENCH_NO_IDS=1 (an old client).</summary>
    public static readonly bool WithIds = Environment.GetEnvironmentVariable("HT_BENCH_NO_IDS") != "1";

    private const string IdStampMarker = "@@@@@@@@@@@@";
    private static long _requests;

    /// <summary>
    /// A pooled body, with each event id's first 12 characters stamped per request (a copy of the body),
    /// so every request's ids are new, as a tracker's are, and the server stores all acknowledged events.
    /// </summary>
    public static (byte[] Body, int Events) Pick(Random random)
    {
        var (template, events, stamps) = Pool[random.Next(Pool.Length)];
        if (stamps.Length == 0) return (template, events);
        var body = (byte[])template.Clone();
        var stamp = Interlocked.Increment(ref _requests).ToString("x12", CultureInfo.InvariantCulture);
        foreach (var at in stamps) Encoding.ASCII.GetBytes(stamp, body.AsSpan(at, 12));
        return (body, events);
    }

    private static (byte[] Body, int Events, int[] Stamps)[] BuildPool(int size)
    {
        var random = new Random(42);
        return Enumerable.Range(0, size).Select(_ =>
        {
            var (body, events) = Next(random);
            var stamps = new List<int>();
            for (var at = body.AsSpan().IndexOf("@@@@"u8); at >= 0; )
            {
                stamps.Add(at);
                var next = body.AsSpan(at + 12).IndexOf("@@@@"u8);
                at = next < 0 ? -1 : at + 12 + next;
            }
            return (body, events, stamps.ToArray());
        }).ToArray();
    }

    public static (byte[] Body, int Events) Next(Random random)
    {
        // 1-4 (a page view, a product view), 5-15 (a browsing flush), 16-30 (a long session on pagehide): mean about 10.
        var roll = random.NextDouble();
        var count = roll < 0.35 ? random.Next(1, 5) : roll < 0.85 ? random.Next(5, 16) : random.Next(16, 31);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var sb = new StringBuilder("""{"v":1,"events":[""", 64 + count * 110);
        for (var i = 0; i < count; i++)
        {
            if (i > 0) sb.Append(',');
            var slug = Slugs[random.Next(Slugs.Length)];
            var path = "/product/" + slug;
            var e = random.Next(8) switch
            {
                0 => $$$"""{"type":"page_view","ts":{{{now}}},"data":{"path":"{{{path}}}","ref":"www.google.com"}}""",
                1 => $$$"""{"type":"product_view","slug":"{{{slug}}}","ts":{{{now}}},"data":{"path":"{{{path}}}"}}""",
                2 => $$$"""{"type":"linger_specs","slug":"{{{slug}}}","ts":{{{now}}},"data":{"ms":{{{random.Next(3000, 20000)}}},"path":"{{{path}}}"}}""",
                3 => $$$"""{"type":"click","slug":"{{{slug}}}","ts":{{{now}}},"data":{"label":"add-to-cart","path":"{{{path}}}"}}""",
                4 => $$$"""{"type":"scroll_depth","ts":{{{now}}},"data":{"pct":{{{random.Next(0, 101)}}},"path":"{{{path}}}"}}""",
                5 => $$$"""{"type":"exit_intent","ts":{{{now}}},"data":{"ms":{{{random.Next(0, 60000)}}},"path":"{{{path}}}"}}""",
                _ => $$$"""{"type":"mouse","ts":{{{now}}},"data":{"cells":[{{{string.Join(",", Enumerable.Range(0, random.Next(4, 40)).Select(_ => random.Next(400)))}}}],"path":"{{{path}}}"}}""",
            };
            // 24 characters like the tracker's: the per-request stamp, the event's index and 32 random bits.
            if (WithIds)
                sb.Append("{\"id\":\"").Append(IdStampMarker).Append(i.ToString("x4", CultureInfo.InvariantCulture))
                    .Append(random.Next().ToString("x8", CultureInfo.InvariantCulture)).Append("\",").Append(e, 1, e.Length - 1);
            else
                sb.Append(e);
        }
        sb.Append("]}");
        return (Encoding.UTF8.GetBytes(sb.ToString()), count);
    }
}

sealed class Stats
{
    private readonly object _gate = new();
    private readonly List<double> _latenciesMs = new(1 << 20);
    private readonly Dictionary<string, int> _errors = new();
    private long _events;

    public int Errors { get; private set; }

    public void Ok(int events, TimeSpan latency)
    {
        lock (_gate)
        {
            _events += events;
            _latenciesMs.Add(latency.TotalMilliseconds);
        }
    }

    public void Error(string kind)
    {
        lock (_gate)
        {
            Errors++;
            _errors[kind] = _errors.GetValueOrDefault(kind) + 1;
        }
    }

    public void Print(Options options, TimeSpan elapsed, long stored, double appCpu, double ownCpu)
    {
        _latenciesMs.Sort();
        double Percentile(double p) => _latenciesMs.Count == 0 ? double.NaN : _latenciesMs[Math.Min(_latenciesMs.Count - 1, (int)(p * _latenciesMs.Count))];
        var seconds = elapsed.TotalSeconds;
        var target = options.Mode == "closed" ? $"concurrency {options.Concurrency}" : $"target {options.Rate:0} events/s";
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{options.Label,-8} {options.Mode,-6} {target,-22} events/s {_events / seconds,9:0}  requests/s {_latenciesMs.Count / seconds,7:0}  p50 {Percentile(0.50),6:0.00} ms  p99 {Percentile(0.99),7:0.00} ms  max {Percentile(1.0),7:0.0} ms  errors {Errors}{(stored >= 0 ? $"  stored {stored} of {_events} acknowledged" : "")}\n{"",8} app CPU {appCpu:0.0} s = {_events / appCpu:0} events per app CPU-second; load generator CPU {ownCpu:0.0} s; wall {seconds:0.0} s");
        Console.WriteLine(line);
        foreach (var (kind, count) in _errors) Console.WriteLine($"  error {kind}: {count}");
    }
}
