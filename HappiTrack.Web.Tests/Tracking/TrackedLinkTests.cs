using System.Net;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static HappiTrack.Web.Tests.Tracking.TrackingHttp;

namespace HappiTrack.Web.Tests.Tracking;

public class TrackedLinkTests : IAsyncLifetime
{
    private readonly HappiTrackFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private Task<Contact> CreateContactAsync(string phone = "+4915112345678") => _factory.WithDbAsync(async db =>
    {
        var contact = new Contact { Phone = phone, Name = "Amina", LinkToken = LinkToken.New(), CreatedAt = HappiTrackFactory.DefaultStart.UtcDateTime };
        db.Contacts.Add(contact);
        await db.SaveChangesAsync();
        return contact;
    });

    /// <summary>An anonymous visitor with two events and an order, as a browser would have before clicking its link.</summary>
    private async Task<(HttpClient Client, string VisitorId)> AnonymousHistoryAsync()
    {
        var client = _factory.CreateBrowserClient(allowRedirects: false);
        Assert.Equal(HttpStatusCode.Accepted, (await client.TrackAsync(Payload(PageView, FeaturedView))).StatusCode);
        var visitorId = await _factory.WithDbAsync(db => db.Visitors.Select(v => v.Id).SingleAsync());
        await _factory.WithDbAsync(async db =>
        {
            db.Orders.Add(new Order { PublicId = "ord-anon", VisitorId = visitorId, CustomerName = "A", Phone = "+4915112345678", PlacedAt = HappiTrackFactory.DefaultStart.UtcDateTime });
            await db.SaveChangesAsync();
        });
        return (client, visitorId);
    }

    [Fact]
    public async Task A_known_token_links_a_browser_with_anonymous_history_as_a_new_visitor_keeps_that_history_anonymous_and_strips_the_token()
    {
        var contact = await CreateContactAsync();
        var (client, visitorId) = await AnonymousHistoryAsync();
        _factory.Clock.Advance(TimeSpan.FromMinutes(3));

        var response = await client.GetAsync($"/product/lenovo-loq-15?utm_source=wa&ht={contact.LinkToken}&x=1");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/product/lenovo-loq-15?utm_source=wa&x=1", response.Headers.Location?.OriginalString);
        // Issue 15 item 3: the link may have been opened by someone else, so what this browser had is not merged.
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(VisitorCookie.Name + "="));
        var fresh = cookie.Split(';')[0].Split('=')[1];
        Assert.NotEqual(visitorId, fresh);
        var linkedAt = HappiTrackFactory.DefaultStart.AddMinutes(3).UtcDateTime;
        var visitor = await _factory.WithDbAsync(db => db.Visitors.AsNoTracking().SingleAsync(v => v.Id == fresh));
        Assert.Equal(contact.Id, visitor.ContactId);
        Assert.Equal(linkedAt, visitor.LinkedAt);
        Assert.Null(await _factory.WithDbAsync(db => db.Visitors.Where(v => v.Id == visitorId).Select(v => v.ContactId).SingleAsync()));
        Assert.All(await _factory.WithDbAsync(db => db.Events.AsNoTracking().ToListAsync()), e => Assert.Null(e.ContactId));
        Assert.Null(await _factory.WithDbAsync(db => db.Orders.Select(o => o.ContactId).SingleAsync()));
        Assert.Equal(linkedAt, await _factory.WithDbAsync(db => db.Contacts.Select(c => c.LastSeenAt).SingleAsync()));

        await client.TrackAsync(Payload(PageView));
        Assert.Equal(1, await _factory.WithDbAsync(db => db.Events.CountAsync(e => e.ContactId == contact.Id && e.VisitorId == fresh)));
    }

    [Fact]
    public async Task A_browser_without_a_cookie_gets_one_with_the_redirect_and_is_linked()
    {
        var contact = await CreateContactAsync();
        var client = _factory.CreateBrowserClient(handleCookies: false, allowRedirects: false);

        var response = await client.GetAsync($"/?ht={contact.LinkToken}");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(VisitorCookie.Name + "="));
        var visitorId = cookie.Split(';')[0].Split('=')[1];
        Assert.Equal(contact.Id, await _factory.WithDbAsync(db => db.Visitors.Where(v => v.Id == visitorId).Select(v => v.ContactId).SingleAsync()));
    }

    [Fact]
    public async Task A_browser_linked_to_a_contact_is_not_re_linked_by_another_contacts_token()
    {
        var first = await CreateContactAsync("+4915112345678");
        var second = await CreateContactAsync("+4915112345679");
        var client = _factory.CreateBrowserClient(allowRedirects: false);
        await client.GetAsync($"/?ht={first.LinkToken}");
        await client.TrackAsync(Payload(PageView));

        await client.GetAsync($"/?ht={second.LinkToken}");
        await client.TrackAsync(Payload(PageView));

        Assert.Equal([first.Id, first.Id], await _factory.WithDbAsync(db => db.Events.OrderBy(e => e.Id).Select(e => e.ContactId).ToListAsync()));
        Assert.Equal(first.Id, await _factory.WithDbAsync(db => db.Visitors.Select(v => v.ContactId).SingleAsync()));
    }

    [Theory]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("not a token")]
    [InlineData("")]
    [InlineData("%27%20OR%201%3D1")]
    public async Task Unknown_or_malformed_tokens_change_nothing_but_are_still_stripped(string token)
    {
        var contact = await CreateContactAsync();
        var (client, _) = await AnonymousHistoryAsync();

        var response = await client.GetAsync($"/?a=b&ht={token}");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/?a=b", response.Headers.Location?.OriginalString);
        Assert.Null(await _factory.WithDbAsync(db => db.Visitors.Select(v => v.ContactId).SingleAsync()));
        Assert.All(await _factory.WithDbAsync(db => db.Events.ToListAsync()), e => Assert.Null(e.ContactId));
        Assert.Null(await _factory.WithDbAsync(db => db.Contacts.Where(c => c.Id == contact.Id).Select(c => c.LastSeenAt).SingleAsync()));
    }

    [Fact]
    public async Task Link_preview_bots_are_redirected_without_linking()
    {
        var contact = await CreateContactAsync();
        var client = _factory.CreateClient(new() { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.UserAgent.ParseAdd("WhatsApp/2.23.20.0 A");

        var response = await client.GetAsync($"/?ht={contact.LinkToken}");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(0, await _factory.WithDbAsync(db => db.Visitors.CountAsync()));
    }

    [Fact]
    public async Task The_redirect_cannot_be_turned_into_an_open_redirect()
    {
        var client = _factory.CreateBrowserClient(allowRedirects: false);
        var response = await client.GetAsync("//evil.example/?ht=x");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith("/", location);
        Assert.False(location.StartsWith("//", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Following_the_redirect_lands_on_the_page_without_the_token()
    {
        var contact = await CreateContactAsync();
        var client = _factory.CreateBrowserClient();
        var response = await client.GetAsync($"/?ht={contact.LinkToken}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("ht=", response.RequestMessage!.RequestUri!.Query);
    }
}
