using System.Net;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Tracking.Ingestion;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using static HappiTrack.Web.Tests.Tracking.TrackingHttp;

namespace HappiTrack.Web.Tests.Tracking;

public class RateLimitTests
{
    [Fact]
    public async Task A_visitor_over_its_rate_gets_429_with_retry_after()
    {
        await using var factory = new HappiTrackFactory { Settings = { ["Tracking:RateLimit:VisitorPermits"] = "3" } };
        var client = factory.CreateBrowserClient();
        // The first request has no cookie yet, so only the IP limit applies to it.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++) statuses.Add((await client.TrackAsync(Payload(PageView))).StatusCode);

        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], statuses);
        var limited = await client.TrackAsync(Payload(PageView));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(4, await factory.WithDbAsync(db => db.Events.CountAsync()));

        var anotherVisitor = await factory.CreateBrowserClient().TrackAsync(Payload(PageView));
        Assert.Equal(HttpStatusCode.Accepted, anotherVisitor.StatusCode);
    }

    [Fact]
    public async Task An_ip_over_its_rate_gets_429_even_with_fresh_cookies()
    {
        await using var factory = new HappiTrackFactory { Settings = { ["Tracking:RateLimit:IpPermits"] = "3" } };
        var client = factory.CreateBrowserClient(handleCookies: false);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++) statuses.Add((await client.TrackAsync(Payload(PageView))).StatusCode);

        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(3, await factory.WithDbAsync(db => db.Events.CountAsync()));
    }

    [Fact]
    public async Task Store_pages_are_not_rate_limited()
    {
        await using var factory = new HappiTrackFactory { Settings = { ["Tracking:RateLimit:IpPermits"] = "1" } };
        var client = factory.CreateBrowserClient();
        for (var i = 0; i < 3; i++) Assert.NotEqual(HttpStatusCode.TooManyRequests, (await client.GetAsync("/")).StatusCode);
    }
}

/// <summary>
/// The real SQLite store behind a gate the test opens, so the writer can be held mid-commit and the
/// queue filled deterministically, or made to fail.
/// </summary>
internal sealed class GatedEventStore(IEventStore inner) : IEventStore
{
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource<bool> Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task WriteAsync(AppDbContext db, IReadOnlyList<EventBatch> batches, CancellationToken ct)
    {
        Entered.TrySetResult();
        if (!await Gate.Task) throw new IOException("disk full");
        await inner.WriteAsync(db, batches, ct);
    }

    public Task LinkVisitorAsync(AppDbContext db, string visitorId, int contactId, DateTime now, CancellationToken ct, int siteId = 1) =>
        inner.LinkVisitorAsync(db, visitorId, contactId, now, ct, siteId);

    public Task<int?> TouchVisitorAsync(AppDbContext db, string visitorId, DateTime now, CancellationToken ct) =>
        inner.TouchVisitorAsync(db, visitorId, now, ct);
}

internal sealed class GatedFactory : HappiTrackFactory
{
    public GatedEventStore Store { get; private set; } = null!;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services =>
        {
            var real = services.Single(d => d.ServiceType == typeof(IEventStore));
            services.Remove(real);
            services.AddSingleton<IEventStore>(sp => Store = new GatedEventStore((IEventStore)real.ImplementationFactory!(sp)));
        });
    }
}

public class WriterQueueTests
{
    [Fact]
    public async Task A_full_queue_answers_503_with_retry_after_at_once_and_queued_requests_complete_later()
    {
        await using var factory = new GatedFactory { Settings = { ["Tracking:QueueCapacity"] = "1" } };
        var client = factory.CreateBrowserClient(handleCookies: false);
        await client.GetAsync("/");

        var inCommit = client.TrackAsync(Payload(PageView));
        await factory.Store.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var queued = client.TrackAsync(Payload(PageView));
        await WaitUntilQueuedAsync(factory);

        var rejected = await client.TrackAsync(Payload(PageView)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, rejected.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), rejected.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", rejected.Content.Headers.ContentType?.MediaType);
        Assert.False(inCommit.IsCompleted);

        factory.Store.Gate.SetResult(true);
        Assert.Equal(HttpStatusCode.Accepted, (await inCommit).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await queued).StatusCode);
        Assert.Equal(2, await factory.WithDbAsync(db => db.Events.CountAsync()));
    }

    [Fact]
    public async Task A_failed_commit_answers_503_and_stores_nothing()
    {
        await using var factory = new GatedFactory();
        var client = factory.CreateBrowserClient();
        await client.GetAsync("/");
        factory.Store.Gate.SetResult(false);

        var response = await client.TrackAsync(Payload(PageView, FeaturedView));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal(0, await factory.WithDbAsync(db => db.Events.CountAsync()));
    }

    [Fact]
    public async Task Concurrent_requests_are_committed_together_and_all_acknowledged()
    {
        await using var factory = new HappiTrackFactory();
        var clients = Enumerable.Range(0, 40).Select(_ => factory.CreateBrowserClient()).ToList();
        var responses = await Task.WhenAll(clients.Select(c => c.TrackAsync(Payload(PageView, FeaturedView, PageView))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        Assert.Equal(120, await factory.WithDbAsync(db => db.Events.CountAsync()));
        Assert.Equal(40, await factory.WithDbAsync(db => db.Visitors.CountAsync()));
    }

    [Fact]
    public async Task The_naive_writer_stores_the_same_rows()
    {
        await using var factory = new HappiTrackFactory { Settings = { ["Tracking:Writer"] = "Naive" } };
        var client = factory.CreateBrowserClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.TrackAsync(Payload(PageView, FeaturedView))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.TrackAsync(Payload(PageView))).StatusCode);
        Assert.Equal(3, await factory.WithDbAsync(db => db.Events.CountAsync()));
        Assert.Equal(1, await factory.WithDbAsync(db => db.Visitors.CountAsync()));
    }

    private static async Task WaitUntilQueuedAsync(GatedFactory factory)
    {
        var writer = factory.Services.GetRequiredService<BatchedEventWriter>();
        for (var i = 0; i < 500 && writer.QueuedRequests == 0; i++) await Task.Delay(10);
        Assert.Equal(1, writer.QueuedRequests);
    }
}
