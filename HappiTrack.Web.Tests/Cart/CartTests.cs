using System.Net;
using System.Text.Json;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Storefront;

public sealed class CartTests(StorefrontFactory factory) : IClassFixture<StorefrontFactory>
{
    private Task<int> ProductIdAsync(string slug) =>
        factory.WithDbAsync(db => db.Products.Where(p => p.Slug == slug).Select(p => p.Id).SingleAsync());

    [Fact]
    public async Task Add_change_and_remove_lines_with_totals_from_the_catalog()
    {
        var browser = new StorefrontBrowser(factory);
        var product = await browser.GetAsync("/product/sony-wh-1000xm5");

        var afterAdd = await browser.SubmitAsync(product, "form.add-form", new Dictionary<string, string?> { ["quantity"] = "2" });
        Assert.Equal("/product/sony-wh-1000xm5", afterAdd.Url);
        Assert.Equal("2", afterAdd.One("[data-cart-count]")!.TextContent);
        Assert.Contains("€758.00", afterAdd.One("#cart-drawer [data-cart-subtotal]")!.TextContent);

        var home = await browser.GetAsync("/");
        var cardForm = $".product-grid [data-ht-product='jbl-flip-6-pink'] form";
        await browser.SubmitAsync(home, cardForm);

        var cart = await browser.GetAsync("/cart");
        Assert.Equal(2, cart.All(".cart-table tbody tr").Count);
        Assert.Equal("€887.00", cart.One("[data-cart-total]")!.TextContent);

        var sonyId = await ProductIdAsync("sony-wh-1000xm5");
        var changed = await browser.SubmitAsync(cart, $"tr[data-ht-product='sony-wh-1000xm5'] form.qty-form", new Dictionary<string, string?> { ["quantity"] = "5" });
        Assert.Equal("/cart", changed.Url);
        Assert.Equal("5", changed.One($"#qty-{sonyId}")!.GetAttribute("value"));
        Assert.Equal("€2,024.00", changed.One("[data-cart-total]")!.TextContent);

        var removed = await browser.SubmitAsync(changed, "tr[data-ht-product='jbl-flip-6-pink'] form:not(.qty-form)");
        Assert.Single(removed.All(".cart-table tbody tr"));
        Assert.Equal("€1,895.00", removed.One("[data-cart-total]")!.TextContent);
        Assert.Equal("5", removed.One("[data-cart-count]")!.TextContent);
    }

    [Fact]
    public async Task Adding_the_same_product_again_sums_the_quantity_up_to_99()
    {
        var browser = new StorefrontBrowser(factory);
        var page = await browser.GetAsync("/product/echo-dot-5");
        await browser.SubmitAsync(page, "form.add-form", new Dictionary<string, string?> { ["quantity"] = "60" });
        var again = await browser.SubmitAsync(page, "form.add-form", new Dictionary<string, string?> { ["quantity"] = "60" });

        Assert.Equal("99", again.One("[data-cart-count]")!.TextContent);
    }

    [Fact]
    public async Task The_drawer_forms_change_the_cart_and_return_to_the_page_with_the_drawer_open()
    {
        var browser = new StorefrontBrowser(factory);
        var page = await browser.GetAsync("/product/ps5-slim");
        var withLine = await browser.SubmitAsync(page, "form.add-form");

        var response = await browser.SubmitRawAsync(withLine, "#cart-drawer .drawer-line[data-ht-product='ps5-slim'] form.qty-form", new Dictionary<string, string?> { ["quantity"] = "3" });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/product/ps5-slim#cart-drawer", response.Headers.Location!.OriginalString);
        var updated = await browser.FollowAsync(response, "/cart");
        Assert.Equal("€1,647.00", updated.One("[data-cart-subtotal]")!.TextContent);

        var emptied = await browser.SubmitAsync(updated, "#cart-drawer .drawer-line[data-ht-product='ps5-slim'] form:not(.qty-form)");
        Assert.Contains("Your cart is empty", emptied.One("#cart-drawer")!.TextContent);
    }

    [Fact]
    public async Task A_return_url_off_site_is_ignored()
    {
        var browser = new StorefrontBrowser(factory);
        var home = await browser.GetAsync("/");

        var response = await browser.SubmitRawAsync(home, ".product-grid [data-ht-product='ps5-slim'] form",
            new Dictionary<string, string?> { ["returnUrl"] = "https://evil.example/phish" });

        Assert.Equal("/cart", response.Headers.Location!.OriginalString);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("100")]
    [InlineData("-3")]
    [InlineData("abc")]
    [InlineData("99999999999999999999")]
    [InlineData(null)]
    public async Task Invalid_quantities_get_a_message_and_change_nothing(string? quantity)
    {
        var browser = new StorefrontBrowser(factory);
        var page = await browser.GetAsync("/product/ps5-slim");

        var result = await browser.SubmitAsync(page, "form.add-form", new Dictionary<string, string?> { ["quantity"] = quantity });

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Contains(CartService.QuantityMessage, result.One(".form-errors[role=alert]")!.TextContent);
        Assert.Empty(result.All("[style]"));
        Assert.Equal("0", result.One("[data-cart-count]")!.TextContent);
    }

    [Fact]
    public async Task Invalid_quantity_in_the_cart_page_gets_a_message_and_keeps_the_line()
    {
        var browser = new StorefrontBrowser(factory);
        var page = await browser.GetAsync("/product/ps5-slim");
        await browser.SubmitAsync(page, "form.add-form", new Dictionary<string, string?> { ["quantity"] = "2" });
        var cart = await browser.GetAsync("/cart");

        var result = await browser.SubmitAsync(cart, "tr[data-ht-product='ps5-slim'] form.qty-form", new Dictionary<string, string?> { ["quantity"] = "150" });

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Contains(CartService.QuantityMessage, result.Text);
        Assert.Equal("2", result.One("[data-cart-count]")!.TextContent);
        // The re-rendered page sits at /cart?handler=Update; the drawer must not send the shopper back there.
        Assert.All(result.All("#cart-drawer input[name=returnUrl]"), input => Assert.Equal("/cart", input.GetAttribute("value")));
    }

    [Fact]
    public async Task A_forged_product_id_gets_a_message_and_adds_nothing()
    {
        var browser = new StorefrontBrowser(factory);
        var home = await browser.GetAsync("/");

        var result = await browser.SubmitAsync(home, ".product-grid [data-ht-product='ps5-slim'] form",
            new Dictionary<string, string?> { ["productId"] = "987654" });

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Contains(CartService.UnknownProductMessage, result.Text);
        Assert.Equal("0", result.One("[data-cart-count]")!.TextContent);
        var lines = await factory.WithDbAsync(db => db.Carts.Where(c => c.VisitorId == browser.VisitorId).SelectMany(c => c.Lines).CountAsync());
        Assert.Equal(0, lines);
    }

    [Fact]
    public async Task Cart_forms_without_the_antiforgery_token_are_refused()
    {
        var browser = new StorefrontBrowser(factory);
        var home = await browser.GetAsync("/");

        var response = await browser.SubmitRawAsync(home, ".product-grid [data-ht-product='ps5-slim'] form",
            new Dictionary<string, string?> { ["__RequestVerificationToken"] = null });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var lines = await factory.WithDbAsync(db => db.CartLines.CountAsync(l => db.Carts.Any(c => c.Id == l.CartId && c.VisitorId == browser.VisitorId)));
        Assert.Equal(0, lines);
    }

    [Fact]
    public async Task Cart_changes_write_authoritative_server_events_and_the_visitor_row()
    {
        var browser = new StorefrontBrowser(factory);
        var page = await browser.GetAsync("/product/galaxy-s24");
        var added = await browser.SubmitAsync(page, "form.add-form", new Dictionary<string, string?> { ["quantity"] = "3" });
        var cart = await browser.GetAsync("/cart");
        var lowered = await browser.SubmitAsync(cart, "tr[data-ht-product='galaxy-s24'] form.qty-form", new Dictionary<string, string?> { ["quantity"] = "1" });
        await browser.SubmitAsync(lowered, "tr[data-ht-product='galaxy-s24'] form:not(.qty-form)");

        var visitorId = browser.VisitorId!;
        var productId = await ProductIdAsync("galaxy-s24");
        var events = await factory.WithDbAsync(db => db.Events.Where(e => e.VisitorId == visitorId).OrderBy(e => e.Id).ToListAsync());
        Assert.Equal([EventTypes.AddToCart, EventTypes.RemoveFromCart, EventTypes.RemoveFromCart], events.Select(e => e.Type));
        Assert.All(events, e =>
        {
            Assert.Equal(EventSource.Server, e.Source);
            Assert.Equal(productId, e.ProductId);
            Assert.Null(e.ContactId);
            Assert.Equal(HappiTrackFactory.DefaultStart.UtcDateTime, e.OccurredAt);
        });
        Assert.Equal([3, 2, 1], events.Select(e => JsonDocument.Parse(e.Data!).RootElement.GetProperty("qty").GetInt32()));

        var visitor = await factory.WithDbAsync(db => db.Visitors.SingleAsync(v => v.Id == visitorId));
        Assert.Equal(HappiTrackFactory.DefaultStart.UtcDateTime, visitor.FirstSeenAt);
    }

    [Fact]
    public async Task Simultaneous_first_adds_from_one_browser_all_land_in_one_cart()
    {
        var browser = new StorefrontBrowser(factory);
        var visitorId = VisitorCookie.NewId();
        browser.Cookies.Add(new Uri("http://localhost"), new System.Net.Cookie(VisitorCookie.Name, visitorId));
        var page = await browser.GetAsync("/product/nest-thermostat");

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => browser.SubmitRawAsync(page, "form.add-form")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Redirect, r.StatusCode));
        var quantity = await factory.WithDbAsync(db => db.Carts.Where(c => c.VisitorId == visitorId).SelectMany(c => c.Lines).SumAsync(l => l.Quantity));
        Assert.Equal(8, quantity);
        Assert.Equal(8, await factory.WithDbAsync(db => db.Events.CountAsync(e => e.VisitorId == visitorId && e.Type == EventTypes.AddToCart)));
    }

    [Theory]
    [InlineData("/cart", "productId=1&quantity=1")]
    [InlineData("/cart?handler=Nope", "productId=1&quantity=1")]
    [InlineData("/cart?handler=Add", "productId=abc&quantity=1e9")]
    [InlineData("/cart?handler=Update", "productId=-1&quantity=5")]
    [InlineData("/cart?handler=Remove", "productId=2147483648")]
    [InlineData("/checkout", "Form.Name=%00%01&Form.Phone=%2B%2B%2B&Form.WhatsAppOptIn=maybe")]
    [InlineData("/product/ps5-slim", "quantity=%F0%9F%98%80")]
    [InlineData("/orders/abc", "x=1")]
    [InlineData("/", "q=1")]
    [InlineData("/Error?code=404", "x=1")]
    public async Task Hostile_posts_get_an_answer_below_500(string url, string body)
    {
        var browser = new StorefrontBrowser(factory);
        var page = await browser.GetAsync("/product/ps5-slim");
        var token = page.One("form.add-form input[name=__RequestVerificationToken]")!.GetAttribute("value");

        var response = await browser.PostRawAsync(url, body + "&__RequestVerificationToken=" + Uri.EscapeDataString(token!));

        Assert.InRange((int)response.StatusCode, 200, 499);
    }
}
