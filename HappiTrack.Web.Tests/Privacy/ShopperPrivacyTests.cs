using System.Net;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Audit;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Storefront;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static HappiTrack.Web.Tests.Tracking.TrackingHttp;

namespace HappiTrack.Web.Tests.Privacy;

/// <summary>The storefront's /privacy page (issue 18): the shopper's own opt-out and "delete my browsing data", without JavaScript.</summary>
public sealed class ShopperPrivacyTests : IAsyncLifetime
{
    private static readonly Uri Base = new("http://localhost");
    private readonly HappiTrackFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _factory.DisposeAsync();

    /// <summary>A no-JS browser for the pages and, sharing its cookie jar, the tracker's requests with a person's user agent.</summary>
    private (StorefrontBrowser Pages, HttpClient Tracker) NewBrowser()
    {
        var pages = new StorefrontBrowser(_factory);
        var tracker = _factory.CreateDefaultClient(Base, new CookieContainerHandler(pages.Cookies));
        tracker.DefaultRequestHeaders.UserAgent.ParseAdd(BrowserUserAgent);
        return (pages, tracker);
    }

    private Task<int> EventsOfAsync(string visitorId) => _factory.WithDbAsync(db => db.Events.CountAsync(e => e.VisitorId == visitorId));

    [Fact]
    public async Task The_footer_links_the_privacy_page_which_explains_the_tracking_with_the_configured_retention()
    {
        var (browser, _) = NewBrowser();
        var home = await browser.GetAsync("/");
        Assert.NotNull(home.One("footer a[href='/privacy']"));

        var page = await browser.GetAsync("/privacy");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("180 days", page.One("[data-raw-event-days]")!.TextContent);
        Assert.Equal("90 days", page.One("[data-nudge-body-days]")!.TextContent);
        foreach (var words in new[] { "page views", "product views", "specifications", "add something to your cart", "exit intent", "20 × 20 grid", "scroll", "agreed to hear from us" })
            Assert.Contains(words, page.Text);
        Assert.Single(page.All("h1"));
        // Every action is a plain form with a real submit button and the antiforgery token: no JavaScript needed.
        foreach (var form in new[] { "#privacy-stop", "#privacy-delete-form" })
        {
            Assert.Equal("post", page.One(form)!.GetAttribute("method"));
            Assert.NotNull(page.One($"{form} input[name='__RequestVerificationToken']"));
            Assert.NotNull(page.One($"{form} button[type='submit']"));
        }
    }

    [Fact]
    public async Task Stop_tracking_sets_a_cookie_that_makes_the_server_store_nothing_until_tracking_is_resumed()
    {
        var (browser, tracker) = NewBrowser();
        Assert.Equal(HttpStatusCode.Accepted, (await tracker.TrackAsync(Payload(PageView))).StatusCode);
        var visitorId = browser.VisitorId!;
        Assert.Equal(1, await EventsOfAsync(visitorId));
        Assert.NotNull((await browser.GetAsync("/")).One("script[src^='/js/tracker.min.js']"));

        var privacy = await browser.GetAsync("/privacy");
        var stop = await browser.SubmitRawAsync(privacy, "#privacy-stop");
        Assert.Equal(HttpStatusCode.Redirect, stop.StatusCode);
        var setCookie = Assert.Single(stop.Headers.GetValues("Set-Cookie"), c => c.StartsWith(TrackingOptOut.CookieName + "="));
        Assert.StartsWith("ht_optout=1;", setCookie);
        Assert.Contains("samesite=lax", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("max-age=157680000", setCookie, StringComparison.OrdinalIgnoreCase);
        var stopped = await browser.FollowAsync(stop, "/privacy");
        Assert.Contains("Tracking is off", stopped.One("[role=status]")!.TextContent);
        Assert.NotNull(stopped.One("#privacy-resume"));

        // The server refuses the batch outright (204, as for Do-Not-Track), and the pages no longer load the tracker.
        var refused = await tracker.TrackAsync(Payload(PageView, FeaturedView));
        Assert.Equal(HttpStatusCode.NoContent, refused.StatusCode);
        Assert.Equal(1, await EventsOfAsync(visitorId));
        var product = await browser.GetAsync("/product/" + CatalogSeed.FeaturedSlug);
        Assert.Null(product.One("script[src*='tracker']"));

        var resume = await browser.SubmitRawAsync(await browser.GetAsync("/privacy"), "#privacy-resume");
        Assert.Contains(resume.Headers.GetValues("Set-Cookie"), c => c.StartsWith("ht_optout=;") && c.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("Tracking is on again", (await browser.FollowAsync(resume, "/privacy")).One("[role=status]")!.TextContent);
        Assert.Equal(HttpStatusCode.Accepted, (await tracker.TrackAsync(Payload(PageView, FeaturedView))).StatusCode);
        Assert.Equal(3, await EventsOfAsync(visitorId));
        Assert.NotNull((await browser.GetAsync("/")).One("script[src^='/js/tracker.min.js']"));
    }

    [Fact]
    public async Task Another_browsers_opt_out_does_not_stop_this_one()
    {
        var (optedOut, _) = NewBrowser();
        await optedOut.SubmitRawAsync(await optedOut.GetAsync("/privacy"), "#privacy-stop");
        var (other, tracker) = NewBrowser();
        Assert.Equal(HttpStatusCode.Accepted, (await tracker.TrackAsync(Payload(PageView))).StatusCode);
        Assert.Equal(1, await EventsOfAsync(other.VisitorId!));
    }

    [Theory]
    [InlineData("Stop")]
    [InlineData("Resume")]
    [InlineData("Delete")]
    public async Task The_actions_refuse_a_post_without_the_antiforgery_token(string handler)
    {
        var (browser, tracker) = NewBrowser();
        await tracker.TrackAsync(Payload(PageView));
        var response = await browser.PostRawAsync("/privacy?handler=" + handler, "");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [], c => c.StartsWith("ht_optout"));
        Assert.Equal(1, await EventsOfAsync(browser.VisitorId!));
    }

    private sealed record PastTotals(int VisitorDays, int ProductEvents, int ProductVisitors);

    private Task<PastTotals> PastRollupsAsync() => _factory.WithDbAsync(async db => new PastTotals(
        await db.Set<VisitorDayFact>().CountAsync(f => f.Day < HappiTrackFactory.Today),
        await db.Set<ProductDayStat>().Where(s => s.Day < HappiTrackFactory.Today).SumAsync(s => s.Events),
        await db.Set<ProductDayStat>().Where(s => s.Day < HappiTrackFactory.Today).SumAsync(s => s.Visitors)));

    private async Task RefreshRollupsAsync()
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RollupService>().RefreshChangedDaysAsync();
    }

    /// <summary>Yesterday's history for a visitor, written as the tracker would have stored it then.</summary>
    private Task SeedYesterdayAsync(string visitorId, int? contactId, int productId, int count) => _factory.WithDbAsync(async db =>
    {
        var at = HappiTrackFactory.DefaultStart.UtcDateTime.AddDays(-1);
        for (var i = 0; i < count; i++)
        {
            db.Events.Add(new TrackEvent
            {
                Type = EventTypes.ProductView, VisitorId = visitorId, ContactId = contactId, ProductId = productId,
                OccurredAt = at.AddMinutes(i), Path = "/", Source = EventSource.Client,
            });
        }
        db.Add(new InterestScore { SubjectKey = Subject.Visitor(visitorId), VisitorId = visitorId, Dimension = InterestDimension.Product, TargetId = productId, Score = 3, AsOf = at });
        await db.SaveChangesAsync();
    });

    [Fact]
    public async Task Delete_my_browsing_data_removes_this_visitors_events_only_and_leaves_contact_cart_and_past_rollups()
    {
        var productId = await _factory.WithDbAsync(db => db.Products.Where(p => p.Slug == CatalogSeed.FeaturedSlug).Select(p => p.Id).SingleAsync());
        var (mine, myTracker) = NewBrowser();
        var (theirs, theirTracker) = NewBrowser();
        Assert.Equal(HttpStatusCode.Accepted, (await myTracker.TrackAsync(Payload(PageView, FeaturedView))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await theirTracker.TrackAsync(Payload(PageView, FeaturedView))).StatusCode);
        var (me, them) = (mine.VisitorId!, theirs.VisitorId!);

        // This browser belongs to a contact who also shops from another browser; that browser's events are the contact's, not this one's.
        var (contactId, phoneVisitor) = await _factory.WithDbAsync(async db =>
        {
            var contact = new Contact { Phone = "+4915112345678", Name = "Mia", LinkToken = LinkToken.New(), CreatedAt = HappiTrackFactory.DefaultStart.UtcDateTime.AddDays(-3) };
            contact.OptIn(ConsentSources.Api, contact.CreatedAt);
            db.Contacts.Add(contact);
            await db.SaveChangesAsync();
            var phone = VisitorCookie.NewId();
            db.Visitors.Add(new Visitor { Id = phone, FirstSeenAt = contact.CreatedAt, LastSeenAt = contact.CreatedAt, ContactId = contact.Id, LinkedAt = contact.CreatedAt });
            await db.Visitors.Where(v => v.Id == me).ExecuteUpdateAsync(s => s.SetProperty(v => v.ContactId, contact.Id).SetProperty(v => v.LinkedAt, contact.CreatedAt));
            db.Add(new InterestScore { SubjectKey = Subject.Contact(contact.Id), ContactId = contact.Id, Dimension = InterestDimension.Product, TargetId = productId, Score = 5, AsOf = contact.CreatedAt });
            await db.SaveChangesAsync();
            return (contact.Id, phone);
        });
        await SeedYesterdayAsync(me, contactId, productId, 4);
        await SeedYesterdayAsync(them, null, productId, 3);
        await SeedYesterdayAsync(phoneVisitor, contactId, productId, 2);
        await mine.SubmitAsync(await mine.GetAsync("/product/" + CatalogSeed.FeaturedSlug), "form.add-form", new Dictionary<string, string?> { ["quantity"] = "1" });
        await RefreshRollupsAsync();
        var before = await PastRollupsAsync();
        Assert.True(before.ProductEvents >= 9, $"{before}");
        var theirsBefore = await EventsOfAsync(them);
        Assert.True(await EventsOfAsync(me) >= 7); // 2 tracked today, 4 yesterday, the server's add_to_cart

        var deleted = await mine.SubmitAsync(await mine.GetAsync("/privacy"), "#privacy-delete-form");
        Assert.Equal(HttpStatusCode.OK, deleted.Status);
        Assert.Contains("we deleted the", deleted.One("[role=status]")!.TextContent);

        Assert.Equal(0, await EventsOfAsync(me));
        Assert.Equal(theirsBefore, await EventsOfAsync(them));
        Assert.Equal(2, await EventsOfAsync(phoneVisitor));
        await _factory.WithDbAsync(async db =>
        {
            Assert.False(await db.Set<InterestScore>().AnyAsync(s => s.SubjectKey == Subject.Visitor(me)));
            Assert.True(await db.Set<InterestScore>().AnyAsync(s => s.SubjectKey == Subject.Visitor(them)));
            Assert.True(await db.Set<InterestScore>().AnyAsync(s => s.SubjectKey == Subject.Contact(contactId)));
            var contact = await db.Contacts.AsNoTracking().SingleAsync(c => c.Id == contactId);
            Assert.Equal(("+4915112345678", "Mia", true), (contact.Phone, contact.Name, contact.OptedIn));
            Assert.Equal(contactId, (await db.Visitors.AsNoTracking().SingleAsync(v => v.Id == me)).ContactId);
            Assert.Equal(1, await db.Carts.Where(c => c.VisitorId == me).SelectMany(c => c.Lines).CountAsync());

            var audit = await db.Set<AuditEntry>().AsNoTracking().SingleAsync(a => a.Action == AuditActions.BrowsingDataErase);
            Assert.Equal(AuditActors.Shopper, audit.Actor);
            Assert.Null(audit.Target);
            Assert.Null(audit.Ip);
            Assert.DoesNotContain(me, audit.Details ?? "");
            Assert.Contains("\"events\":7", audit.Details);
        });

        // The roll-ups of past days keep their totals, also after the next refresh brings in new events.
        Assert.Equal(HttpStatusCode.Accepted, (await theirTracker.TrackAsync(Payload(FeaturedView))).StatusCode);
        await RefreshRollupsAsync();
        Assert.Equal(before, await PastRollupsAsync());

        // Asking again finds nothing left, and says so.
        var again = await mine.SubmitAsync(await mine.GetAsync("/privacy"), "#privacy-delete-form");
        Assert.Contains("nothing to delete", again.One("[role=status]")!.TextContent);
    }

    [Fact]
    public async Task Delete_from_a_browser_without_a_visitor_cookie_deletes_nothing_and_issues_no_cookie()
    {
        var (_, tracker) = NewBrowser();
        await tracker.TrackAsync(Payload(PageView));
        var stranger = new StorefrontBrowser(_factory);
        var page = await stranger.GetAsync("/privacy");
        var response = await stranger.SubmitRawAsync(page, "#privacy-delete-form");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Null(stranger.VisitorId);
        Assert.Equal(1, await _factory.WithDbAsync(db => db.Events.CountAsync()));
        Assert.Contains("nothing to delete", (await stranger.FollowAsync(response, "/privacy")).One("[role=status]")!.TextContent);
    }
}
