using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Tracking;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace HappiTrack.Web.Tests.Security;

/// <summary>
/// SECURITY.md row 3, bounded for CI: one visitor floods /api/track while another keeps tracking.
/// Only counts are asserted; the other visitor's latency is printed, never asserted.
/// </summary>
public sealed class FloodTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_flooding_visitor_gets_429_after_its_limit_while_another_visitor_is_served_and_nothing_fails()
    {
        await using var factory = new HappiTrackFactory();
        var flooder = factory.CreateBrowserClient();
        var victim = factory.CreateBrowserClient();
        // Both first requests carry no cookie yet, so they count against the IP limit only.
        Assert.Equal(HttpStatusCode.Accepted, (await flooder.TrackAsync(TrackingHttp.Payload(TrackingHttp.PageView))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await victim.TrackAsync(TrackingHttp.Payload(TrackingHttp.PageView))).StatusCode);

        var flood = new ConcurrentDictionary<HttpStatusCode, int>();
        var victimStatuses = new ConcurrentDictionary<HttpStatusCode, int>();
        var victimMs = new ConcurrentBag<double>();
        var next = -1;
        var flooders = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < 2000)
            {
                var status = (await flooder.TrackAsync(TrackingHttp.Payload(TrackingHttp.PageView))).StatusCode;
                flood.AddOrUpdate(status, 1, (_, n) => n + 1);
            }
        }));
        var honest = Task.Run(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                var watch = Stopwatch.StartNew();
                var status = (await victim.TrackAsync(TrackingHttp.Payload(TrackingHttp.FeaturedView))).StatusCode;
                victimMs.Add(watch.Elapsed.TotalMilliseconds);
                victimStatuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            }
        });
        await Task.WhenAll(flooders.Append(honest));

        var sorted = victimMs.Order().ToList();
        output.WriteLine($"flood: {string.Join(", ", flood.Select(f => $"{(int)f.Key}×{f.Value}"))}; other visitor: {string.Join(", ", victimStatuses.Select(f => $"{(int)f.Key}×{f.Value}"))}; " +
                         $"other visitor p50 {sorted[sorted.Count / 2]:0.0} ms, p99 {sorted[(int)(sorted.Count * 0.99)]:0.0} ms (in-process, not asserted)");
        Assert.Equal(120, flood.GetValueOrDefault(HttpStatusCode.Accepted));
        Assert.Equal(2000 - 120, flood.GetValueOrDefault(HttpStatusCode.TooManyRequests));
        Assert.Equal(100, victimStatuses.GetValueOrDefault(HttpStatusCode.Accepted));
        Assert.Equal(1 + 120 + 1 + 100, await factory.WithDbAsync(db => db.Events.CountAsync()));
    }
}
