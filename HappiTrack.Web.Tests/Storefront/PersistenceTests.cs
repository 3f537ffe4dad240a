using System.Net;
using HappiTrack.Web.Tests.Infrastructure;

namespace HappiTrack.Web.Tests.Storefront;

public sealed class PersistenceTests
{
    [Fact]
    public async Task Carts_and_orders_survive_a_restart_on_the_same_database_file()
    {
        var path = HappiTrackFactory.NewDatabasePath();
        var cookies = new CookieContainer();
        string orderUrl;

        await using (var first = new HappiTrackFactory(path) { DeleteDatabaseOnDispose = false })
        {
            var browser = new StorefrontBrowser(first, cookies);
            var product = await browser.GetAsync("/product/xbox-series-x");
            await browser.SubmitAsync(product, "form.add-form", new Dictionary<string, string?> { ["quantity"] = "2" });
            var checkout = await browser.GetAsync("/checkout");
            var confirmation = await browser.SubmitAsync(checkout, "form.checkout-form", new Dictionary<string, string?>
            {
                ["Form.Name"] = "Restart", ["Form.Phone"] = "+4915199990000",
            });
            orderUrl = confirmation.Url;
            var next = await browser.GetAsync("/product/roborock-q7-max");
            await browser.SubmitAsync(next, "form.add-form", new Dictionary<string, string?> { ["quantity"] = "3" });
        }

        await using var second = new HappiTrackFactory(path);
        var again = new StorefrontBrowser(second, cookies);

        var cart = await again.GetAsync("/cart");
        Assert.Equal("3", cart.One("[data-cart-count]")!.TextContent);
        Assert.NotNull(cart.One("tr[data-ht-product='roborock-q7-max']"));
        var order = await again.GetAsync(orderUrl);
        Assert.Equal(HttpStatusCode.OK, order.Status);
        Assert.Equal("€998.00", order.One("[data-order-total]")!.TextContent);
        Assert.Equal(28, second.CreateDbContext().Products.Count());
    }
}
