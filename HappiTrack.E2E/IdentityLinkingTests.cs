using System.Text.RegularExpressions;
using HappiTrack.E2E.Infrastructure;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Rules;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Tracking;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace HappiTrack.E2E;

/// <summary>
/// Issue 15 item 3 as a person in Chromium: a shopper with a cart follows someone else's tracked link
/// and then leaves the page. Before the identity-linking rule her browser became the attacker's contact,
/// her exit intent sent him a cart rescue and its link put her cart in his browser; now he gets nothing.
/// </summary>
public sealed class IdentityLinkingTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_shopper_with_a_cart_who_follows_an_attackers_link_and_leaves_sends_him_nothing()
    {
        await browser.App.RunAsync<RuleSettingsService>(async s =>
        {
            var settings = await s.GetAsync();
            settings.Guards.QuietHoursStart = settings.Guards.QuietHoursEnd = "00:00";
            Assert.True((await s.UpdateAsync(settings, "e2e")).Succeeded);
        });
        var attacker = await browser.App.WithDbAsync(async db =>
        {
            var c = new Contact { Phone = "+4915112349999", Name = "Mallory", LinkToken = LinkToken.New(), CreatedAt = DateTime.UtcNow, OptedIn = true, OptInSource = "api" };
            db.Contacts.Add(c);
            await db.SaveChangesAsync();
            return c;
        });

        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = browser.App.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            UserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        });
        var page = await context.NewPageAsync();

        // The victim shops and puts the deal in her cart.
        await page.GotoAsync("/");
        await page.Locator("button[data-ht='featured_deal_add_to_cart']").ClickAsync();
        await Assertions.Expect(page.Locator("[data-cart-count]").First).ToHaveTextAsync("1");
        var victimVisitor = (await context.CookiesAsync()).Single(c => c.Name == VisitorCookie.Name).Value;

        // A link carrying the attacker's token (from a page or a message she was sent); she clicks it.
        await page.SetContentAsync($"<a id='deal' href='{browser.App.BaseAddress}?ht={attacker.LinkToken}'>Today's deal</a>");
        await page.Locator("#deal").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/$"));

        // She leaves through the top of the page.
        await page.Mouse.MoveAsync(640, 40);
        await page.Mouse.MoveAsync(640, 5, new() { Steps = 2 });
        await page.Mouse.MoveAsync(640, -20, new() { Steps = 2 });

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await browser.App.WithDbAsync(db => db.Events.AnyAsync(e => e.Type == EventTypes.ExitIntent)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the exit_intent event never arrived");
            await Task.Delay(200);
        }
        await browser.App.RunAsync<EventProjector>(p => p.RunAsync());
        await browser.App.RunAsync<CartAbandonmentJob>(j => j.RunAsync());
        await context.CloseAsync();

        // The attacker: no message, no cart, no orders. Her cart and history stay with her old, anonymous visitor.
        Assert.False(await browser.App.WithDbAsync(db => db.Set<Nudge>().AnyAsync(n => n.ContactId == attacker.Id)));
        Assert.False(await browser.App.WithDbAsync(db => db.Carts.AnyAsync(c => c.Lines.Any() && db.Visitors.Any(v => v.Id == c.VisitorId && v.ContactId == attacker.Id))));
        Assert.Null(await browser.App.WithDbAsync(db => db.Visitors.Where(v => v.Id == victimVisitor).Select(v => v.ContactId).SingleAsync()));
        Assert.Equal(1, await browser.App.WithDbAsync(db => db.CartLines.CountAsync(l => db.Carts.Any(c => c.Id == l.CartId && c.VisitorId == victimVisitor))));
        Assert.False(await browser.App.WithDbAsync(db => db.Events.AnyAsync(e => e.VisitorId == victimVisitor && e.ContactId != null)));
    }
}
