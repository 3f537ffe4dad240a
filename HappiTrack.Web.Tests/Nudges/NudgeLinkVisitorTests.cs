using System.Net;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Tracking;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Dispatch;

/// <summary><c>/r/{code}</c> links a browser to the nudge's contact under the same rule as a <c>?ht=</c> tracked link.</summary>
public sealed class NudgeLinkVisitorTests : IAsyncLifetime
{
    private TestBotServer _bot = null!;

    public async Task InitializeAsync() => _bot = await TestBotServer.StartAsync();
    public async Task DisposeAsync() => await _bot.DisposeAsync();

    [Fact]
    public async Task Following_a_nudge_link_in_a_browser_with_an_anonymous_order_links_a_new_visitor_and_leaves_the_order_anonymous()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot);
        var contact = await app.ContactAsync("+4915112345621");
        var nudge = await app.NudgeAsync(contact.Id);
        var visitorId = VisitorCookie.NewId();
        await app.WithDbAsync(async db =>
        {
            db.Visitors.Add(new Visitor { Id = visitorId, FirstSeenAt = app.Now, LastSeenAt = app.Now });
            db.Orders.Add(new Order { PublicId = "ord-before-click", VisitorId = visitorId, CustomerName = "A", Phone = "+4915112345621", PlacedAt = app.Now });
            await db.SaveChangesAsync();
        });

        var browser = app.CreateBrowserClient(allowRedirects: false);
        browser.DefaultRequestHeaders.Add("Cookie", $"{VisitorCookie.Name}={visitorId}");
        var response = await browser.GetAsync($"/r/{nudge.Code}");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);

        var fresh = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(VisitorCookie.Name + "=")).Split(';')[0].Split('=')[1];
        Assert.NotEqual(visitorId, fresh);
        Assert.Equal(contact.Id, await app.WithDbAsync(db => db.Visitors.Where(v => v.Id == fresh).Select(v => v.ContactId).SingleAsync()));
        Assert.Null(await app.WithDbAsync(db => db.Visitors.Where(v => v.Id == visitorId).Select(v => v.ContactId).SingleAsync()));
        Assert.Null(await app.WithDbAsync(db => db.Orders.Where(o => o.VisitorId == visitorId).Select(o => o.ContactId).SingleAsync()));
        Assert.Equal(app.Now, (await app.LoadContactAsync(contact.Id)).LastSeenAt);
    }
}
