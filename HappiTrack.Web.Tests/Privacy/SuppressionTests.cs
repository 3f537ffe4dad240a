using System.Net;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Storefront;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Privacy;

/// <summary>An erased number stays on the suppression list: checkout's opt-in box cannot bring it back (issue 18).</summary>
public sealed class SuppressionTests
{
    [Fact]
    public async Task Checkout_opt_in_for_an_erased_number_places_the_order_but_creates_no_contact()
    {
        await using var app = new AdminFactory();
        var alice = await PrivacyKit.SeedAsync(app, "+4915100000041", "Alice Shopper", events: 1);
        using var api = PrivacyKit.ApiClient(app);
        Assert.Equal(HttpStatusCode.OK, (await api.DeleteAsync($"/api/contacts/{alice.Id}?reason=asked")).StatusCode);

        var browser = new StorefrontBrowser(app);
        var product = await browser.GetAsync("/product/echo-dot-5");
        Assert.Equal(HttpStatusCode.OK, (await browser.SubmitAsync(product, "form.add-form", new Dictionary<string, string?> { ["quantity"] = "1" })).Status);
        var checkout = await browser.GetAsync("/checkout");
        var confirmation = await browser.SubmitAsync(checkout, "form.checkout-form", new Dictionary<string, string?>
        {
            ["Form.Name"] = "Alice Again", ["Form.Phone"] = alice.Phone, ["Form.WhatsAppOptIn"] = "true",
        });

        Assert.Equal(HttpStatusCode.OK, confirmation.Status);
        Assert.StartsWith("/orders/", confirmation.Url);
        Assert.False(await app.WithDbAsync(db => db.Contacts.AnyAsync(c => c.Phone == alice.Phone)));
    }
}
