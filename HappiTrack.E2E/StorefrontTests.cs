using System.Text.RegularExpressions;
using HappiTrack.E2E.Infrastructure;
using Microsoft.Playwright;

namespace HappiTrack.E2E;

/// <summary>A shopper's whole journey in a real browser: browse, add to cart, check out, see the confirmation.</summary>
public sealed class StorefrontTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Theory]
    [InlineData(375, 800, "mobile")]
    [InlineData(1280, 800, "desktop")]
    public async Task Shopper_browses_adds_to_cart_checks_out_and_sees_the_confirmation(int width, int height, string name)
    {
        var page = await browser.NewPageAsync(width, height);
        var problems = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") problems.Add($"console: {message.Text} ({message.Location})"); };
        page.PageError += (_, error) => problems.Add($"page error: {error}");
        page.RequestFailed += (_, request) => problems.Add($"request failed: {request.Url} {request.Failure}");
        async Task Shot(string step) => await page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = Path.Combine(BrowserFixture.ScreenshotDirectory, $"storefront-{name}-{step}.png"),
            FullPage = step == "1-home",
        });

        await page.GotoAsync("/");
        var hero = page.Locator("section.hero");
        await Assertions.Expect(hero).ToContainTextAsync("Featured Deal of the Day");
        await Assertions.Expect(page.Locator(".product-grid [data-ht-product]")).ToHaveCountAsync(28);
        // Two products a row on a phone, four on a laptop.
        var columns = await page.Locator(".product-grid").EvaluateAsync<int>("el => getComputedStyle(el).gridTemplateColumns.split(' ').length");
        Assert.Equal(width < 768 ? 2 : 4, columns);
        await Shot("1-home");

        await page.Locator("#filter-category").SelectOptionAsync("audio");
        await page.WaitForURLAsync(new Regex("category=audio"));
        await Assertions.Expect(page.Locator(".product-grid [data-ht-product]")).ToHaveCountAsync(5);
        await page.Locator(".product-grid [data-ht-product='sony-wh-1000xm5'] a.product-card-link").ClickAsync();
        await page.WaitForURLAsync("**/product/sony-wh-1000xm5");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Sony WH-1000XM5");
        await Shot("2-product");

        await page.GetByLabel("Quantity", new() { Exact = true }).FillAsync("2");
        await page.Locator("form.add-form button[data-ht='add_to_cart']").ClickAsync();
        var drawer = page.Locator("#cart-drawer");
        await Assertions.Expect(drawer).ToHaveClassAsync(new Regex("is-open"));
        await Assertions.Expect(drawer.Locator("[data-cart-subtotal]")).ToHaveTextAsync("€758.00");
        await Assertions.Expect(page.Locator("[data-cart-count]")).ToHaveTextAsync("2");
        await page.WaitForTimeoutAsync(400); // let the slide-in finish so the screenshot shows the resting state
        await Shot("3-cart-drawer");

        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(drawer).Not.ToHaveClassAsync(new Regex("is-open"));
        await page.Locator("a.cart-button").ClickAsync();
        await Assertions.Expect(drawer).ToHaveClassAsync(new Regex("is-open"));
        await drawer.GetByRole(AriaRole.Link, new() { Name = "Checkout" }).ClickAsync();
        await page.WaitForURLAsync("**/checkout");
        await Assertions.Expect(page.Locator("[data-checkout-total]")).ToHaveTextAsync("€758.00");
        await Assertions.Expect(page.GetByLabel("Send me offers")).Not.ToBeCheckedAsync();

        await page.GetByLabel("Full name").FillAsync("Amina Shopper");
        await page.GetByLabel("Phone number").FillAsync("+49 151 2345 6789");
        await Shot("4-checkout");
        await page.Locator("button[data-ht='place_order']").ClickAsync();

        await page.WaitForURLAsync(new Regex("/orders/[A-Za-z0-9_-]{22}$"));
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Thank you, Amina Shopper!");
        await Assertions.Expect(page.Locator("[data-order-total]")).ToHaveTextAsync("€758.00");
        await Assertions.Expect(page.Locator("[data-cart-count]")).ToHaveTextAsync("0");
        await Shot("5-confirmation");

        var overflow = await page.EvaluateAsync<bool>("document.documentElement.scrollWidth > window.innerWidth + 1");
        Assert.False(overflow, $"the confirmation page scrolls sideways at {width}px");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        await page.Context.CloseAsync();
    }

    /// <summary>The deal is a price: the hero shows the regular price struck through, and checkout charges the deal price.</summary>
    [Theory]
    [InlineData(375)]
    [InlineData(1280)]
    public async Task The_deal_on_the_home_page_shows_its_was_price_and_checkout_charges_the_deal_price(int width)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = browser.App.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = 800 },
            UserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        // The app under test holds the Lenovo (€1,099.00) as the deal; 15 % off is €164.85.
        var hero = page.Locator("section.hero");
        await Assertions.Expect(hero.Locator("s[data-was-price]")).ToHaveTextAsync("Regular price €1,099.00");
        await Assertions.Expect(hero.Locator("[data-deal-now]")).ToHaveTextAsync("Deal price €934.15");
        await Assertions.Expect(hero.Locator("[data-deal-saving]")).ToHaveTextAsync("Save €164.85 (15%) today");
        await Assertions.Expect(hero.Locator("[data-lowest-30]")).ToContainTextAsync("Lowest price in the last 30 days: €");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, $"storefront-deal-{width}.png") });

        await page.Locator("button[data-ht='featured_deal_add_to_cart']").ClickAsync();
        await Assertions.Expect(page.Locator("[data-cart-count]").First).ToHaveTextAsync("1");
        await page.GotoAsync("/checkout");
        await Assertions.Expect(page.Locator("[data-checkout-total]")).ToHaveTextAsync("€934.15");
        await page.GetByLabel("Full name").FillAsync("Deal Hunter");
        await page.GetByLabel("Phone number").FillAsync("+49 151 2345 6700");
        await page.Locator("button[data-ht='place_order']").ClickAsync();
        await page.WaitForURLAsync(new Regex("/orders/[A-Za-z0-9_-]{22}$"));
        await Assertions.Expect(page.Locator("[data-order-total]")).ToHaveTextAsync("€934.15");
        await context.CloseAsync();
    }

    [Fact]
    public async Task Without_JavaScript_the_cart_link_and_forms_still_work()
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = browser.App.BaseAddress.ToString(),
            JavaScriptEnabled = false,
            ViewportSize = new ViewportSize { Width = 768, Height = 900 },
        });
        var page = await context.NewPageAsync();

        await page.GotoAsync("/product/echo-dot-5");
        await page.Locator("form.add-form button[data-ht='add_to_cart']").ClickAsync();
        await Assertions.Expect(page.Locator("#cart-drawer")).ToBeInViewportAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "storefront-nojs-768-drawer.png") });

        // The drawer opened through CSS :target; its own link leads on to the cart page.
        await page.Locator("#cart-drawer").GetByRole(AriaRole.Link, new() { Name = "View cart" }).ClickAsync();
        await page.WaitForURLAsync("**/cart");
        await Assertions.Expect(page.Locator("[data-cart-total]")).ToHaveTextAsync("€59.00");
        await context.CloseAsync();
    }

    [Fact]
    public async Task With_reduced_motion_the_drawer_opens_without_animation_at_tablet_width()
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = browser.App.BaseAddress.ToString(),
            ReducedMotion = ReducedMotion.Reduce,
            ViewportSize = new ViewportSize { Width = 768, Height = 1024 },
        });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };

        await page.GotoAsync("/");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "storefront-tablet-768-home.png") });
        await page.Locator("a.cart-button").ClickAsync();

        var drawer = page.Locator("#cart-drawer");
        await Assertions.Expect(drawer).ToHaveClassAsync(new Regex("is-open"));
        var duration = await drawer.EvaluateAsync<string>("el => getComputedStyle(el).transitionDuration");
        Assert.All(duration.Split(','), d => Assert.True(double.Parse(d.Trim().TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture) <= 0.0001, duration));
        await Assertions.Expect(drawer).ToContainTextAsync("Your cart is empty.");
        await Assertions.Expect(page.Locator("a.cart-button")).ToHaveAttributeAsync("aria-expanded", "true");
        Assert.Empty(errors);
        await context.CloseAsync();
    }
}
