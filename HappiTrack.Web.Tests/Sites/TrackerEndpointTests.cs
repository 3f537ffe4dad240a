using System.Net;
using System.Net.Http.Json;
using System.Text;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Features.Sites;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Tracking;
using Microsoft.EntityFrameworkCore;
using static HappiTrack.Web.Tests.Tracking.TrackingHttp;

namespace HappiTrack.Web.Tests.Sites;

/// <summary><c>POST</c>/<c>OPTIONS /api/sites/{key}/track</c>: the embedded tracker's ingestion (issue 20).</summary>
public class TrackerEndpointTests : IAsyncLifetime
{
    private const string ShopOrigin = "https://shop.example";
    private readonly HappiTrackFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private DateTime Now => _factory.Clock.GetUtcNow().UtcDateTime;

    private Task<Site> RegisterSiteAsync(bool revoked = false) => _factory.WithDbAsync(async db =>
    {
        var site = new Site
        {
            Key = Site.NewKey(), Name = "Shop", TimeZone = "Europe/Berlin", AllowedOrigins = ShopOrigin + "\nhttp://127.0.0.1:5055",
            CreatedAt = Now, RevokedAt = revoked ? Now : null,
        };
        db.Set<Site>().Add(site);
        await db.SaveChangesAsync();
        return site;
    });

    private Task<Contact> CreateContactAsync(int siteId, string phone = "+4915112345678") => _factory.WithDbAsync(async db =>
    {
        var contact = new Contact { SiteId = siteId, Phone = phone, Name = "Amina", LinkToken = LinkToken.New(), CreatedAt = Now };
        db.Contacts.Add(contact);
        await db.SaveChangesAsync();
        return contact;
    });

    private HttpClient Client() => _factory.CreateBrowserClient(handleCookies: false);

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string key, string json, string? origin = ShopOrigin,
        Action<HttpRequestMessage>? configure = null)
    {
        // text/plain, as the loader's fetch and sendBeacon send it.
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sites/{key}/track") { Content = new StringContent(json, Encoding.UTF8, "text/plain") };
        if (origin is not null) request.Headers.Add("Origin", origin);
        configure?.Invoke(request);
        return client.SendAsync(request);
    }

    private static string SitePayload(string? vid, string? ht = null, params string[] events) =>
        $$"""{"v":1{{(vid is null ? "" : $",\"vid\":\"{vid}\"")}}{{(ht is null ? "" : $",\"ht\":\"{ht}\"")}},"events":[{{string.Join(",", events.Length == 0 ? [PageView] : events)}}]}""";

    private static async Task<string> AnsweredVisitorAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<VisitorAnswer>();
        Assert.True(VisitorCookie.IsWellFormed(answer?.Vid), $"answered visitor id '{answer?.Vid}'");
        return answer!.Vid;
    }

    private sealed record VisitorAnswer(string Vid);

    private Task<int> StoredEventsAsync() => _factory.WithDbAsync(db => db.Events.CountAsync());
    private Task<int> StoredVisitorsAsync() => _factory.WithDbAsync(db => db.Visitors.CountAsync());

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"), "a refused request must not carry a CORS grant");
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Events_land_with_the_sites_id_the_payloads_visitor_and_the_sites_own_products_under_an_exact_origin_grant()
    {
        var site = await RegisterSiteAsync();
        var kettle = await _factory.WithDbAsync(async db =>
        {
            var product = new Product
            {
                SiteId = site.Id, Slug = "blue-kettle", Name = "Blue kettle", Brand = "Shop", Summary = "Boils water",
                PriceCents = 2_999, CategoryId = await db.Categories.Select(c => c.Id).FirstAsync(),
            };
            db.Products.Add(product);
            await db.SaveChangesAsync();
            return product;
        });
        var vid = VisitorCookie.NewId();

        var response = await PostAsync(Client(), site.Key, SitePayload(vid, null, PageView,
            """{"id":"k1aaaaaaaaaaaaaa","type":"product_view","slug":"blue-kettle","data":{"path":"/kettle.html"}}""",
            // Trusty's product: not in this site's catalogue, so the event is kept without a product.
            """{"id":"k2aaaaaaaaaaaaaa","type":"product_view","slug":"lenovo-loq-15","data":{"path":"/"}}"""));

        Assert.Equal(vid, await AnsweredVisitorAsync(response));
        Assert.Equal(ShopOrigin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"));
        Assert.Contains("Origin", response.Headers.Vary);
        Assert.False(response.Headers.Contains("Set-Cookie"), "no cookie crosses origins; the id lives in the shop's storage");

        var events = await _factory.WithDbAsync(db => db.Events.AsNoTracking().OrderBy(e => e.Id).ToListAsync());
        Assert.Equal(3, events.Count);
        Assert.All(events, e => Assert.Equal((site.Id, vid, (int?)null), (e.SiteId, e.VisitorId, e.ContactId)));
        Assert.Equal(kettle.Id, events.Single(e => e.ClientEventId == "k1aaaaaaaaaaaaaa").ProductId);
        Assert.Null(events.Single(e => e.ClientEventId == "k2aaaaaaaaaaaaaa").ProductId);
        Assert.Equal(site.Id, await _factory.WithDbAsync(db => db.Visitors.Where(v => v.Id == vid).Select(v => v.SiteId).SingleAsync()));

        // Re-sent by the loader after a lost answer: stored once, as on Trusty.
        await AnsweredVisitorAsync(await PostAsync(Client(), site.Key, SitePayload(vid, null,
            """{"id":"k1aaaaaaaaaaaaaa","type":"product_view","slug":"blue-kettle","data":{"path":"/kettle.html"}}""")));
        Assert.Equal(3, await StoredEventsAsync());
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("https://shop.example.evil.example")]
    [InlineData("http://shop.example")]
    [InlineData("null")]
    [InlineData(null)]
    public async Task Another_origin_gets_no_cors_grant_and_nothing_is_stored(string? origin)
    {
        var site = await RegisterSiteAsync();

        var response = await PostAsync(Client(), site.Key, SitePayload(VisitorCookie.NewId()), origin);

        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(0, await StoredEventsAsync());
        Assert.Equal(0, await StoredVisitorsAsync());
    }

    [Fact]
    public async Task A_preflight_from_an_allowed_origin_is_granted_for_that_origin_only()
    {
        var site = await RegisterSiteAsync();
        var client = Client();

        HttpRequestMessage Preflight(string origin)
        {
            var request = new HttpRequestMessage(HttpMethod.Options, $"/api/sites/{site.Key}/track");
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", "POST");
            request.Headers.Add("Access-Control-Request-Headers", "content-type");
            return request;
        }

        var granted = await client.SendAsync(Preflight("http://127.0.0.1:5055"));
        Assert.Equal(HttpStatusCode.NoContent, granted.StatusCode);
        Assert.Equal("http://127.0.0.1:5055", granted.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", granted.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Contains("Content-Type", granted.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.OrdinalIgnoreCase);
        Assert.False(granted.Headers.Contains("Access-Control-Allow-Credentials"));

        await AssertProblemAsync(await client.SendAsync(Preflight("https://evil.example")), HttpStatusCode.Forbidden);
        Assert.Equal(0, await StoredVisitorsAsync());
    }

    [Fact]
    public async Task An_unknown_malformed_or_revoked_key_is_a_problem_and_stores_nothing()
    {
        var revoked = await RegisterSiteAsync(revoked: true);
        var client = Client();

        foreach (var key in new[] { Site.NewKey(), "not-a-key", revoked.Key })
            await AssertProblemAsync(await PostAsync(client, key, SitePayload(VisitorCookie.NewId())), HttpStatusCode.NotFound);

        Assert.Equal(0, await StoredEventsAsync());
        Assert.Equal(0, await StoredVisitorsAsync());
    }

    [Fact]
    public async Task A_payload_cannot_claim_a_contact_a_phone_or_a_server_time()
    {
        var site = await RegisterSiteAsync();
        var contact = await CreateContactAsync(site.Id);
        var vid = VisitorCookie.NewId();
        var longAgo = new DateTimeOffset(Now.AddDays(-30)).ToUnixTimeMilliseconds();

        var response = await PostAsync(Client(), site.Key, $$"""
            {"v":1,"vid":"{{vid}}","contactId":{{contact.Id}},"phone":"{{contact.Phone}}","receivedAt":"2001-01-01T00:00:00Z",
             "events":[{"type":"page_view","ts":{{longAgo}},"contactId":{{contact.Id}},"phone":"{{contact.Phone}}",
                        "occurredAt":"2001-01-01T00:00:00Z","source":2,"data":{"path":"/","contactId":{{contact.Id}} } } ] }
            """);

        Assert.Equal(vid, await AnsweredVisitorAsync(response));
        var stored = await _factory.WithDbAsync(db => db.Events.AsNoTracking().SingleAsync());
        Assert.Null(stored.ContactId);
        Assert.Equal(Now, stored.OccurredAt);
        Assert.Equal(EventSource.Client, stored.Source);
        Assert.True(stored.ClientTime >= Now.AddMinutes(-10), $"the client's time {stored.ClientTime:O} is only a hint, pulled into the window");
        Assert.DoesNotContain("contact", stored.Data ?? "", StringComparison.OrdinalIgnoreCase);
        Assert.Null(await _factory.WithDbAsync(db => db.Visitors.Where(v => v.Id == vid).Select(v => v.ContactId).SingleAsync()));
    }

    [Fact]
    public async Task A_visitor_id_that_is_malformed_absent_or_of_another_site_is_replaced_by_a_new_one()
    {
        var site = await RegisterSiteAsync();
        // A Trusty visitor, made by Trusty's own tracker and cookie.
        var trusty = _factory.CreateBrowserClient();
        Assert.Equal(HttpStatusCode.Accepted, (await trusty.TrackAsync(Payload(PageView))).StatusCode);
        var trustyVisitor = await _factory.WithDbAsync(db => db.Visitors.Select(v => v.Id).SingleAsync());

        var answered = new List<string>();
        foreach (var claimed in new[] { trustyVisitor, "short", VisitorCookie.NewId() + "x", null })
        {
            var vid = await AnsweredVisitorAsync(await PostAsync(Client(), site.Key, SitePayload(claimed)));
            Assert.NotEqual(claimed, vid);
            answered.Add(vid);
        }

        Assert.Equal(4, answered.Distinct().Count());
        var events = await _factory.WithDbAsync(db => db.Events.AsNoTracking().ToListAsync());
        Assert.Equal(SiteIds.Trusty, events.Single(e => e.VisitorId == trustyVisitor).SiteId);
        Assert.All(events.Where(e => e.VisitorId != trustyVisitor), e => Assert.Equal(site.Id, e.SiteId));
        Assert.Equal(4, events.Count(e => answered.Contains(e.VisitorId)));
    }

    [Fact]
    public async Task A_tracked_link_token_links_a_fresh_visitor_and_answers_a_new_id_for_one_with_history()
    {
        var site = await RegisterSiteAsync();
        var contact = await CreateContactAsync(site.Id);

        // Fresh: the id the loader made is linked and kept.
        var fresh = VisitorCookie.NewId();
        Assert.Equal(fresh, await AnsweredVisitorAsync(await PostAsync(Client(), site.Key, SitePayload(fresh, contact.LinkToken))));
        Assert.Equal(contact.Id, await _factory.WithDbAsync(db => db.Visitors.Where(v => v.Id == fresh).Select(v => v.ContactId).SingleAsync()));
        Assert.Equal(contact.Id, await _factory.WithDbAsync(db => db.Events.Where(e => e.VisitorId == fresh).Select(e => e.ContactId).SingleAsync()));

        // With anonymous history: the link may have been opened by someone else, so that history is not merged.
        var browsed = VisitorCookie.NewId();
        await AnsweredVisitorAsync(await PostAsync(Client(), site.Key, SitePayload(browsed)));
        var kept = await AnsweredVisitorAsync(await PostAsync(Client(), site.Key, SitePayload(browsed, contact.LinkToken)));
        Assert.NotEqual(browsed, kept);
        Assert.Equal(site.Id, await _factory.WithDbAsync(db => db.Visitors.Where(v => v.Id == kept).Select(v => v.SiteId).SingleAsync()));
        Assert.Equal(contact.Id, await _factory.WithDbAsync(db => db.Visitors.Where(v => v.Id == kept).Select(v => v.ContactId).SingleAsync()));
        Assert.Null(await _factory.WithDbAsync(db => db.Visitors.Where(v => v.Id == browsed).Select(v => v.ContactId).SingleAsync()));
        Assert.All(await _factory.WithDbAsync(db => db.Events.Where(e => e.VisitorId == browsed).ToListAsync()), e => Assert.Null(e.ContactId));
        Assert.Equal(contact.Id, await _factory.WithDbAsync(db => db.Events.Where(e => e.VisitorId == kept).Select(e => e.ContactId).SingleAsync()));
    }

    [Fact]
    public async Task A_token_of_another_sites_contact_or_an_unknown_token_links_nothing()
    {
        var site = await RegisterSiteAsync();
        var trustyContact = await CreateContactAsync(SiteIds.Trusty);

        foreach (var token in new[] { trustyContact.LinkToken, LinkToken.New(), "bad token" })
        {
            var vid = VisitorCookie.NewId();
            Assert.Equal(vid, await AnsweredVisitorAsync(await PostAsync(Client(), site.Key, SitePayload(vid, token))));
        }

        Assert.All(await _factory.WithDbAsync(db => db.Visitors.AsNoTracking().ToListAsync()), v => Assert.Null(v.ContactId));
        Assert.All(await _factory.WithDbAsync(db => db.Events.AsNoTracking().ToListAsync()), e => Assert.Null(e.ContactId));
    }

    [Theory]
    [InlineData("DNT", "1", BrowserUserAgent)]
    [InlineData("Sec-GPC", "1", BrowserUserAgent)]
    [InlineData("X-None", "1", "Googlebot/2.1 (+http://www.google.com/bot.html)")]
    [InlineData("X-None", "1", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/130.0.0.0 Safari/537.36")]
    public async Task Privacy_signals_and_bots_are_answered_204_and_nothing_is_stored(string header, string value, string userAgent)
    {
        var site = await RegisterSiteAsync();
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);

        var response = await PostAsync(client, site.Key, SitePayload(VisitorCookie.NewId()), configure: r => r.Headers.Add(header, value));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(0, await StoredEventsAsync());
        Assert.Equal(0, await StoredVisitorsAsync());
    }

    [Fact]
    public async Task An_invalid_payload_is_a_validation_problem_and_stores_nothing()
    {
        var site = await RegisterSiteAsync();
        var response = await PostAsync(Client(), site.Key, """{"v":1,"vid":"x","events":[{"type":"drop_table"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await StoredVisitorsAsync());
    }

    [Fact]
    public async Task Trustys_own_tracker_still_stores_its_events_as_site_1()
    {
        await RegisterSiteAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await _factory.CreateBrowserClient().TrackAsync(Payload(PageView, FeaturedView))).StatusCode);
        var events = await _factory.WithDbAsync(db => db.Events.AsNoTracking().ToListAsync());
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal(SiteIds.Trusty, e.SiteId));
        Assert.NotNull(events.Single(e => e.Type == EventTypes.ProductView).ProductId);
        Assert.Equal(SiteIds.Trusty, await _factory.WithDbAsync(db => db.Visitors.Select(v => v.SiteId).SingleAsync()));
    }
}
