using System.Net;
using System.Net.Http.Json;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Checkout;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Tracking;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Dispatch;

public sealed class AttributionTests : IAsyncLifetime
{
    private TestBotServer _bot = null!;

    public async Task InitializeAsync() => _bot = await TestBotServer.StartAsync();
    public async Task DisposeAsync() => await _bot.DisposeAsync();

    /// <summary>A sent nudge, its link followed in a fresh browser; returns the nudge and that browser's visitor id.</summary>
    private static async Task<(Nudge Nudge, string VisitorId)> ClickedNudgeAsync(DispatchApp app, string phone)
    {
        var contact = await app.ContactAsync(phone);
        var nudge = await app.NudgeAsync(contact.Id);
        Assert.Equal(1, await app.DispatchAsync());
        app.Clock.Advance(TimeSpan.FromMinutes(5));

        var browser = app.CreateBrowserClient(allowRedirects: false);
        var click = await browser.GetAsync($"/r/{nudge.Code}");
        Assert.Equal(HttpStatusCode.Redirect, click.StatusCode);
        Assert.Equal(app.Now, (await app.LoadAsync(nudge.Id)).ClickedAt);
        var cookie = click.Headers.GetValues("Set-Cookie").First(c => c.StartsWith(VisitorCookie.Name + "="));
        return (nudge, cookie[(VisitorCookie.Name.Length + 1)..cookie.IndexOf(';')]);
    }

    private static async Task<Order> BuyAsync(DispatchApp app, string visitorId, string slug, int quantity)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HappiTrack.Web.Data.AppDbContext>();
        var productId = await db.Products.Where(p => p.Slug == slug).Select(p => p.Id).FirstAsync();
        await scope.ServiceProvider.GetRequiredService<CartService>().AddAsync(visitorId, productId, quantity);
        var result = await scope.ServiceProvider.GetRequiredService<CheckoutService>()
            .PlaceOrderAsync(visitorId, new CheckoutRequest("Amina", "+4915112345678", false, null));
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Values));
        return result.Order!;
    }

    [Fact]
    public async Task An_order_within_seven_days_of_a_click_is_attributed_to_the_nudge_with_its_revenue()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot);
        var (nudge, visitorId) = await ClickedNudgeAsync(app, "+4915112345670");
        app.Clock.Advance(TimeSpan.FromDays(6));

        var first = await BuyAsync(app, visitorId, "lenovo-loq-15", 2);
        var orderTime = app.Now;
        app.Clock.Advance(TimeSpan.FromHours(1));
        var second = await BuyAsync(app, visitorId, "lenovo-loq-15", 1);

        var orders = await app.WithDbAsync(db => db.Orders.AsNoTracking().Where(o => o.Id == first.Id || o.Id == second.Id).ToListAsync());
        Assert.All(orders, o => Assert.Equal(nudge.Id, o.AttributedNudgeId));
        var converted = await app.LoadAsync(nudge.Id);
        Assert.Equal(orderTime, converted.ConvertedAt);
        Assert.Equal(first.TotalCents + second.TotalCents, converted.RevenueCents);
        Assert.True(first.TotalCents > 0);

        var dto = (await app.AdminClient().GetFromJsonAsync<List<NudgeDto>>($"/api/nudges?contactId={nudge.ContactId}"))!.Single();
        Assert.Equal("converted", dto.Funnel.Stage);
        Assert.Equal(converted.RevenueCents, dto.Funnel.RevenueCents);
        Assert.NotNull(dto.Funnel.SentAt);
        Assert.NotNull(dto.Funnel.ClickedAt);
    }

    [Fact]
    public async Task An_order_after_the_window_is_not_attributed()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot);
        var (nudge, visitorId) = await ClickedNudgeAsync(app, "+4915112345671");
        app.Clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));

        var order = await BuyAsync(app, visitorId, "lenovo-loq-15", 1);

        Assert.Null((await app.WithDbAsync(db => db.Orders.AsNoTracking().FirstAsync(o => o.Id == order.Id))).AttributedNudgeId);
        var stored = await app.LoadAsync(nudge.Id);
        Assert.Null(stored.ConvertedAt);
        Assert.Equal(0, stored.RevenueCents);
    }

    [Fact]
    public async Task With_attribution_from_delivery_an_order_without_a_click_counts_for_the_delivered_nudge()
    {
        await using var app = new DispatchApp(DispatchModes.WhatsAppCloud, _bot);
        app.Settings["Attribution:From"] = "Delivery";
        app.Settings["Attribution:WindowDays"] = "3";
        var contact = await app.ContactAsync("+4915112345672");
        var nudge = await app.NudgeAsync(contact.Id);
        _bot.Responder = (_, _) => (200, """{"messages":[{"id":"wamid.DELIVERY"}]}""");
        Assert.Equal(1, await app.DispatchAsync());
        await app.PostWebhookAsync(DispatchApp.Envelope(statuses: new System.Text.Json.Nodes.JsonArray(
            DispatchApp.Status("wamid.DELIVERY", "delivered", app.Now, "4915112345672"))));
        var visitorId = VisitorCookie.NewId();
        await app.WithDbAsync(async db =>
        {
            db.Visitors.Add(new Visitor { Id = visitorId, FirstSeenAt = app.Now, LastSeenAt = app.Now, ContactId = contact.Id, LinkedAt = app.Now });
            await db.SaveChangesAsync();
        });
        app.Clock.Advance(TimeSpan.FromDays(2));

        var order = await BuyAsync(app, visitorId, "lenovo-loq-15", 1);

        Assert.Equal(nudge.Id, (await app.WithDbAsync(db => db.Orders.AsNoTracking().FirstAsync(o => o.Id == order.Id))).AttributedNudgeId);
        Assert.Equal(order.TotalCents, (await app.LoadAsync(nudge.Id)).RevenueCents);
    }
}
