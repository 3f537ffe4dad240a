using System.Net;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Checkout;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Features.Tracking.Ingestion;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Tracking;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Storefront;

/// <summary>
/// The cart's server-side events and the tracker's writer both create the visitor row of a new
/// cookie. Neither may fail on the other's insert (a read-then-insert did, with a unique-key error).
/// </summary>
public sealed class CartVisitorRaceTests : IAsyncLifetime
{
    private readonly HappiTrackFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task A_server_event_is_saved_when_the_tracker_stores_the_same_new_visitor_in_between()
    {
        var client = _factory.CreateBrowserClient(handleCookies: false);
        var visitorId = VisitorCookie.NewId();
        var now = _factory.Clock.GetUtcNow().UtcDateTime;
        var productId = await _factory.WithDbAsync(db => db.Products.Select(p => p.Id).FirstAsync());

        await using var scope = _factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var visitor = await ServerEvents.TouchVisitorAsync(db, scope.ServiceProvider.GetRequiredService<IEventStore>(), visitorId, now, default);

        // The tracker's batch commits between the cart handler's visitor lookup and its SaveChanges.
        var tracked = await client.TrackAsync(TrackingHttp.Payload(TrackingHttp.PageView),
            configure: r => r.Headers.Add("Cookie", $"{VisitorCookie.Name}={visitorId}"));
        Assert.Equal(HttpStatusCode.Accepted, tracked.StatusCode);

        ServerEvents.Add(db, visitor, EventTypes.AddToCart, now, productId, new { qty = 1 });
        await db.SaveChangesAsync();

        await _factory.WithDbAsync(async check =>
        {
            Assert.Equal(1, await check.Visitors.CountAsync(v => v.Id == visitorId));
            var types = await check.Events.Where(e => e.VisitorId == visitorId).OrderBy(e => e.Type).Select(e => e.Type).ToListAsync();
            Assert.Equal([EventTypes.AddToCart, EventTypes.PageView], types);
        });
    }

    [Fact]
    public async Task Checkout_views_and_tracker_batches_for_the_same_new_visitors_all_succeed_when_run_together()
    {
        var client = _factory.CreateBrowserClient(handleCookies: false);
        var visitors = Enumerable.Range(0, 40).Select(_ => VisitorCookie.NewId()).ToList();

        var work = visitors.SelectMany(visitorId => new[]
        {
            Task.Run(async () =>
            {
                var response = await client.TrackAsync(TrackingHttp.Payload(TrackingHttp.PageView),
                    configure: r => r.Headers.Add("Cookie", $"{VisitorCookie.Name}={visitorId}"));
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            }),
            Task.Run(async () =>
            {
                await using var scope = _factory.Services.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<CheckoutService>().RecordCheckoutViewAsync(visitorId);
            }),
        });
        await Task.WhenAll(work);

        await _factory.WithDbAsync(async db =>
        {
            Assert.Equal(visitors.Count, await db.Visitors.CountAsync(v => visitors.Contains(v.Id)));
            Assert.Equal(visitors.Count, await db.Events.CountAsync(e => visitors.Contains(e.VisitorId) && e.Type == EventTypes.Checkout));
            Assert.Equal(visitors.Count, await db.Events.CountAsync(e => visitors.Contains(e.VisitorId) && e.Type == EventTypes.PageView));
        });
    }
}
