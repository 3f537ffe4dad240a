using System.Net;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Storefront;

/// <summary>The confirmation says only what happened: an order placed to be paid on delivery, a short number, WhatsApp only when ticked.</summary>
public sealed class ConfirmationWordingTests(StorefrontFactory factory) : IClassFixture<StorefrontFactory>
{
    private static int _phoneSuffix;
    private static string NewPhone() => $"+4915113{Interlocked.Increment(ref _phoneSuffix):D6}";

    private async Task<(StorefrontBrowser Browser, StorefrontBrowser.Page Confirmation)> PlaceOrderAsync(string phone, bool optIn)
    {
        var browser = new StorefrontBrowser(factory);
        var product = await browser.GetAsync("/product/ps5-slim");
        await browser.SubmitAsync(product, "form.add-form", new Dictionary<string, string?> { ["quantity"] = "1" });
        var checkout = await browser.GetAsync("/checkout");
        var confirmation = await browser.SubmitAsync(checkout, "form.checkout-form", new Dictionary<string, string?>
        {
            ["Form.Name"] = "Amina Test",
            ["Form.Phone"] = phone,
            ["Form.WhatsAppOptIn"] = optIn ? "true" : null,
        });
        Assert.Equal(HttpStatusCode.OK, confirmation.Status);
        Assert.StartsWith("/orders/", confirmation.Url);
        return (browser, confirmation);
    }

    [Fact]
    public async Task Without_opt_in_the_confirmation_says_pay_on_delivery_shows_a_short_number_and_no_WhatsApp()
    {
        var phone = NewPhone();
        var (_, confirmation) = await PlaceOrderAsync(phone, optIn: false);

        var publicId = confirmation.Url["/orders/".Length..];
        var order = await factory.WithDbAsync(db => db.Orders.AsNoTracking().SingleAsync(o => o.PublicId == publicId));
        Assert.Equal($"HT-{order.Id + 1000}", confirmation.One("[data-order-number]")!.TextContent);
        Assert.True(confirmation.One("[data-order-number]")!.TextContent.Length <= 10);
        Assert.DoesNotContain(publicId, confirmation.Text);
        Assert.Equal("Order placed — pay on delivery.", confirmation.One("[data-order-status]")!.TextContent);
        Assert.DoesNotContain("paid", confirmation.Text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("WhatsApp", confirmation.Text);
        Assert.DoesNotContain(phone, confirmation.Text);
        Assert.Null(confirmation.One("[data-order-updates]"));
    }

    [Fact]
    public async Task With_opt_in_the_confirmation_promises_WhatsApp_updates_to_the_typed_phone()
    {
        var phone = NewPhone();
        var (_, confirmation) = await PlaceOrderAsync(phone, optIn: true);

        Assert.Equal($"We will send updates about this order on WhatsApp to {phone}.", confirmation.One("[data-order-updates]")!.TextContent);
        Assert.Equal("Order placed — pay on delivery.", confirmation.One("[data-order-status]")!.TextContent);
    }

    [Fact]
    public async Task Two_orders_get_different_numbers()
    {
        var (_, first) = await PlaceOrderAsync(NewPhone(), optIn: false);
        var (_, second) = await PlaceOrderAsync(NewPhone(), optIn: false);

        Assert.NotEqual(first.One("[data-order-number]")!.TextContent, second.One("[data-order-number]")!.TextContent);
    }
}
