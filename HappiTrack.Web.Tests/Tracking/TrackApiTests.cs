using System.Net;
using System.Text.Json;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static HappiTrack.Web.Tests.Tracking.TrackingHttp;

namespace HappiTrack.Web.Tests.Tracking;

public class TrackApiTests : IAsyncLifetime
{
    private readonly HappiTrackFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private Task<List<TrackEvent>> EventsAsync() => _factory.WithDbAsync(db => db.Events.AsNoTracking().OrderBy(e => e.Id).ToListAsync());

    [Fact]
    public async Task Accepted_means_the_rows_are_already_in_the_database()
    {
        var client = _factory.CreateBrowserClient();
        var clientMs = (long)(HappiTrackFactory.DefaultStart.AddMinutes(-2) - DateTimeOffset.UnixEpoch).TotalMilliseconds;
        var response = await client.TrackAsync(Payload(
            PageView,
            FeaturedView,
            $$$"""{"type":"linger_specs","slug":"lenovo-loq-15","ts":{{{clientMs}}},"data":{"ms":3400,"path":"/product/lenovo-loq-15"}}"""));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        // No polling: the 202 is only sent after the commit.
        var events = await EventsAsync();
        Assert.Equal(["page_view", "product_view", "linger_specs"], events.Select(e => e.Type));
        var productId = await _factory.WithDbAsync(db => db.Products.Where(p => p.Slug == CatalogSeed.FeaturedSlug).Select(p => p.Id).SingleAsync());
        Assert.All(events, e => Assert.Equal(HappiTrackFactory.DefaultStart.UtcDateTime, e.OccurredAt));
        Assert.All(events, e => Assert.Equal(EventSource.Client, e.Source));
        Assert.Equal(productId, events[2].ProductId);
        Assert.Equal("""{"ms":3400}""", events[2].Data);
        Assert.Equal("/product/lenovo-loq-15", events[2].Path);
        Assert.Equal(HappiTrackFactory.DefaultStart.AddMinutes(-2).UtcDateTime, events[2].ClientTime);

        var visitor = await _factory.WithDbAsync(db => db.Visitors.AsNoTracking().SingleAsync());
        Assert.Equal(visitor.Id, events[0].VisitorId);
        Assert.Equal(HappiTrackFactory.DefaultStart.UtcDateTime, visitor.LastSeenAt);
    }

    [Fact]
    public async Task Beacons_sent_as_text_plain_are_accepted()
    {
        var client = _factory.CreateBrowserClient();
        var response = await client.TrackAsync(Payload(PageView), "text/plain;charset=UTF-8");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Single(await EventsAsync());
    }

    [Theory]
    [InlineData("application/xml")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("text/plain; charset=utf-16")]
    public async Task Other_content_types_are_refused(string contentType)
    {
        var response = await _factory.CreateBrowserClient().TrackAsync(Payload(PageView), contentType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Empty(await EventsAsync());
    }

    [Fact]
    public async Task The_cookie_is_issued_once_and_then_reused()
    {
        var client = _factory.CreateBrowserClient(handleCookies: false);
        var first = await client.TrackAsync(Payload(PageView));
        var setCookie = Assert.Single(first.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(VisitorCookie.Name + "=", setCookie);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("max-age=31536000", setCookie, StringComparison.OrdinalIgnoreCase); // a year from the browser's own clock
        Assert.DoesNotContain("expires=", setCookie, StringComparison.OrdinalIgnoreCase);
        var cookie = setCookie.Split(';')[0];

        var second = await client.TrackAsync(Payload(PageView), configure: r => r.Headers.Add("Cookie", cookie));
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.False(second.Headers.Contains("Set-Cookie"));

        var events = await EventsAsync();
        Assert.Equal(2, events.Count);
        Assert.Single(events.Select(e => e.VisitorId).Distinct());
        Assert.Equal(cookie.Split('=')[1], events[0].VisitorId);
        Assert.Equal(1, await _factory.WithDbAsync(db => db.Visitors.CountAsync()));
    }

    [Fact]
    public async Task A_forged_cookie_value_is_replaced_by_a_fresh_one()
    {
        var client = _factory.CreateBrowserClient(handleCookies: false);
        var response = await client.TrackAsync(Payload(PageView), configure: r => r.Headers.Add("Cookie", $"{VisitorCookie.Name}=' OR 1=1 --"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(VisitorCookie.Name + "="));
        Assert.True(VisitorCookie.IsWellFormed((await EventsAsync()).Single().VisitorId));
    }

    [Fact]
    public async Task Spoofed_contact_phone_ip_and_server_time_are_ignored()
    {
        var client = _factory.CreateBrowserClient();
        var response = await client.TrackAsync("""
            {"v":1,"contactId":1,"visitorId":"AAAAAAAAAAAAAAAAAAAAAA","phone":"+4915112345678",
             "events":[{"type":"page_view","contactId":1,"ContactId":1,"phone":"+4915112345678","ip":"10.0.0.1",
                        "occurredAt":"2001-01-01T00:00:00Z","OccurredAt":"2001-01-01T00:00:00Z","source":1,"visitorId":"AAAAAAAAAAAAAAAAAAAAAA",
                        "data":{"path":"/","contactId":1,"phone":"+4915112345678","occurredAt":"2001-01-01"}}]}
            """, configure: r => r.Headers.Add("X-Forwarded-For", "10.0.0.1"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var stored = (await EventsAsync()).Single();
        Assert.Null(stored.ContactId);
        Assert.Equal(HappiTrackFactory.DefaultStart.UtcDateTime, stored.OccurredAt);
        Assert.Equal(EventSource.Client, stored.Source);
        Assert.NotEqual("AAAAAAAAAAAAAAAAAAAAAA", stored.VisitorId);
        Assert.Null(stored.Data);
        Assert.Equal(0, await _factory.WithDbAsync(db => db.Contacts.CountAsync()));
    }

    [Fact]
    public async Task Events_of_a_linked_visitor_carry_its_contact()
    {
        var client = _factory.CreateBrowserClient(handleCookies: false);
        var first = await client.TrackAsync(Payload(PageView));
        var cookie = first.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        var visitorId = cookie.Split('=')[1];
        var contactId = await _factory.WithDbAsync(async db =>
        {
            var contact = new Contact { Phone = "+4915112345678", LinkToken = LinkToken.New(), Name = "Amina" };
            db.Contacts.Add(contact);
            await db.SaveChangesAsync();
            await db.Visitors.Where(v => v.Id == visitorId).ExecuteUpdateAsync(s => s.SetProperty(v => v.ContactId, contact.Id));
            return contact.Id;
        });
        _factory.Clock.Advance(TimeSpan.FromMinutes(5));

        await client.TrackAsync(Payload(FeaturedView), configure: r => r.Headers.Add("Cookie", cookie));

        var events = await EventsAsync();
        Assert.Null(events[0].ContactId);
        Assert.Equal(contactId, events[1].ContactId);
        var contactSeen = await _factory.WithDbAsync(db => db.Contacts.Where(c => c.Id == contactId).Select(c => c.LastSeenAt).SingleAsync());
        Assert.Equal(HappiTrackFactory.DefaultStart.AddMinutes(5).UtcDateTime, contactSeen);
    }

    [Fact]
    public async Task Invalid_payloads_get_problem_json_naming_the_first_bad_field()
    {
        var client = _factory.CreateBrowserClient();
        var response = await client.TrackAsync(Payload(PageView, PageView, PageView, """{"type":"teleport"}""", """{"type":"nope"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = problem.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty("events[3].type", out _));
        Assert.Single(errors.EnumerateObject());
        Assert.Contains("events[3].type", problem.RootElement.GetProperty("title").GetString());
        Assert.Empty(await EventsAsync());
    }

    [Fact]
    public async Task Bodies_over_16_KB_get_413_whether_or_not_the_length_is_announced()
    {
        var client = _factory.CreateBrowserClient();
        var padding = new string(' ', 16 * 1024);
        var announced = await client.TrackAsync(Payload(PageView) + padding);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, announced.StatusCode);
        Assert.Equal("application/problem+json", announced.Content.Headers.ContentType?.MediaType);

        var chunked = new HttpRequestMessage(HttpMethod.Post, "/api/track")
        {
            Content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Payload(PageView) + padding))),
        };
        chunked.Content.Headers.ContentType = new("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        var unannounced = await client.SendAsync(chunked);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, unannounced.StatusCode);

        var justUnder = await client.TrackAsync(Payload(PageView) + new string(' ', 16 * 1024 - Payload(PageView).Length));
        Assert.Equal(HttpStatusCode.Accepted, justUnder.StatusCode);
        Assert.Single(await EventsAsync());
    }

    [Theory]
    [InlineData("DNT", "1")]
    [InlineData("Sec-GPC", "1")]
    public async Task Do_not_track_and_global_privacy_control_store_nothing(string header, string value)
    {
        var client = _factory.CreateBrowserClient(handleCookies: false);
        var response = await client.TrackAsync(Payload(PageView, FeaturedView), configure: r => r.Headers.Add(header, value));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Empty(await EventsAsync());
        Assert.Equal(0, await _factory.WithDbAsync(db => db.Visitors.CountAsync()));
    }

    [Theory]
    [InlineData("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/130.0.0.0 Safari/537.36")]
    public async Task Bots_are_answered_but_not_counted(string userAgent)
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        var response = await client.TrackAsync(Payload(PageView));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await EventsAsync());
    }

    [Fact]
    public async Task Requests_without_a_user_agent_are_not_counted()
    {
        var response = await _factory.CreateClient().TrackAsync(Payload(PageView));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await EventsAsync());
    }

    [Fact]
    public async Task Only_post_is_routed()
    {
        var response = await _factory.CreateBrowserClient().GetAsync("/api/track");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }
}
