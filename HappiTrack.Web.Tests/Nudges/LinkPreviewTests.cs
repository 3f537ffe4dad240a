using System.Net;
using System.Text.Json;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Tokens;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Tracking;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Dispatch;

/// <summary>
/// Issue 15 item 4 (SECURITY.md row 15.4): chat apps fetch <c>/r/{code}</c> to draw a preview the moment a
/// nudge arrives. That fetch is not the contact: it gets the redirect only.
/// </summary>
public sealed class LinkPreviewTests : IAsyncLifetime
{
    public static readonly string[] PreviewAgents =
    [
        "WhatsApp/2.23.20.0 A",
        "WhatsApp/2.2407.3 i",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Facebot",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Slack-ImgProxy (+https://api.slack.com/robots)",
        "TelegramBot (like TwitterBot)",
        "Twitterbot/1.0",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
    ];

    private TestBotServer _bot = null!;

    public async Task InitializeAsync() => _bot = await TestBotServer.StartAsync();
    public async Task DisposeAsync() => await _bot.DisposeAsync();

    [Fact]
    public async Task Preview_fetchers_get_the_redirect_only_no_click_no_link_no_cart_no_offer_and_the_contact_still_does()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot);
        var contact = await app.ContactAsync("+4915112345631");
        var tokenValue = await app.WithDbAsync(async db =>
        {
            var (_, value) = TokenService.Issue(db, contact.Id, 10, TokenScope.Order, app.Now, TimeSpan.FromDays(2));
            await db.SaveChangesAsync();
            return value;
        });
        var nudge = await app.NudgeAsync(contact.Id, NudgeKinds.CartRescue);
        var productId = await app.WithDbAsync(db => db.Products.OrderBy(p => p.Id).Select(p => p.Id).FirstAsync());
        await app.WithDbAsync(async db =>
        {
            var row = await db.Set<Nudge>().Include(n => n.Token).FirstAsync(n => n.Id == nudge.Id);
            row.TokenValue = tokenValue;
            row.Token = await db.Set<DiscountToken>().FirstAsync();
            row.CartSnapshot = JsonSerializer.Serialize(new List<CartSnapshotLine> { new(productId, 2) });
            await db.SaveChangesAsync();
        });

        foreach (var agent in PreviewAgents)
        {
            var fetcher = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
            fetcher.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", agent);
            var response = await fetcher.GetAsync($"/r/{nudge.Code}");

            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/checkout", response.Headers.Location?.OriginalString); // no token in the URL either
            Assert.False(response.Headers.Contains("Set-Cookie"), $"{agent} got a cookie");
        }
        Assert.Null((await app.LoadAsync(nudge.Id)).ClickedAt);
        Assert.Equal(0, await app.WithDbAsync(db => db.Visitors.CountAsync()));
        Assert.Equal(0, await app.WithDbAsync(db => db.Carts.CountAsync()));

        // The contact's own browser, opening the same link afterwards, still gets everything.
        var person = app.CreateBrowserClient(allowRedirects: false);
        var opened = await person.GetAsync($"/r/{nudge.Code}");
        Assert.Equal($"/checkout?token={tokenValue}", opened.Headers.Location?.OriginalString);
        Assert.Contains(opened.Headers.GetValues("Set-Cookie"), c => c.StartsWith(NudgeLinks.OfferCookie + "="));
        Assert.Equal(app.Now, (await app.LoadAsync(nudge.Id)).ClickedAt);
        Assert.Equal(contact.Id, await app.WithDbAsync(db => db.Visitors.Select(v => v.ContactId).SingleAsync()));
        Assert.Equal(1, await app.WithDbAsync(db => db.Carts.CountAsync()));
    }
}
