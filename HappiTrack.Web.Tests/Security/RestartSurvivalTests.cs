using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using HappiTrack.Web.Features.Tokens;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Storefront;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Security;

/// <summary>SECURITY.md row 15: three restarts on one database file lose no session, token or cart.</summary>
public sealed class RestartSurvivalTests
{
    [Fact]
    public async Task Sessions_tracked_links_discount_tokens_and_carts_survive_three_restarts()
    {
        var path = HappiTrackFactory.NewDatabasePath();
        var shopperCookies = new CookieContainer();
        string sessionCookie, linkToken, discountToken;
        int contactId;

        await using (var first = new AdminFactory(path) { DeleteDatabaseOnDispose = false })
        {
            var login = await AdminFactory.PostLoginAsync(first.NewClient(), AdminFactory.AdminEmail, AdminFactory.AdminPassword);
            sessionCookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("ht_session=", StringComparison.Ordinal)).Split(';')[0];

            var api = first.NewClient();
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminFactory.ConfiguredApiToken);
            Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/contacts/init", new { phone = "+4915112345678", optIn = true })).StatusCode);
            (contactId, linkToken) = await first.WithDbAsync(async db => { var c = await db.Contacts.SingleAsync(); return (c.Id, c.LinkToken); });
            discountToken = await first.WithDbAsync(async db =>
            {
                var (_, value) = TokenService.Issue(db, contactId, 10, TokenScope.Order, HappiTrackFactory.DefaultStart.UtcDateTime, TimeSpan.FromDays(2));
                await db.SaveChangesAsync();
                return value;
            });

            var shopper = new StorefrontBrowser(first, shopperCookies);
            var product = await shopper.GetAsync("/product/xbox-series-x");
            await shopper.SubmitAsync(product, "form.add-form", new Dictionary<string, string?> { ["quantity"] = "2" });
        }

        try
        {
            for (var restart = 1; restart <= 3; restart++)
            {
                await using var app = new AdminFactory(path) { DeleteDatabaseOnDispose = false };

                var admin = new HttpRequestMessage(HttpMethod.Get, "/admin");
                admin.Headers.Add("Cookie", sessionCookie);
                Assert.Equal(HttpStatusCode.OK, (await app.NewClient().SendAsync(admin)).StatusCode);

                var cart = await new StorefrontBrowser(app, shopperCookies).GetAsync("/cart");
                Assert.Equal("2", cart.One("[data-cart-count]")!.TextContent);

                var visitor = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
                visitor.DefaultRequestHeaders.UserAgent.ParseAdd(Tracking.TrackingHttp.BrowserUserAgent);
                Assert.Equal(HttpStatusCode.Redirect, (await visitor.GetAsync($"/?ht={linkToken}")).StatusCode);
                Assert.Equal(restart, await app.WithDbAsync(db => db.Visitors.CountAsync(v => v.ContactId == contactId)));

                await using var scope = app.Services.CreateAsyncScope();
                var check = await scope.ServiceProvider.GetRequiredService<TokenService>().CheckAsync(discountToken, contactId, [new PricedLine(1, 10_000)]);
                Assert.True(check.IsValid, $"restart {restart}: {check.Status}");
                Assert.Equal(1_000, check.DiscountCents);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(path + suffix);
        }
    }
}
