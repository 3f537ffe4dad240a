using System.Net;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Storefront;

public sealed class StorefrontPagesTests(StorefrontFactory factory) : IClassFixture<StorefrontFactory>
{
    private StorefrontBrowser NewBrowser() => new(factory);

    [Fact]
    public async Task Home_shows_the_featured_deal_with_its_specs_and_the_whole_grid()
    {
        var home = await NewBrowser().GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, home.Status);
        var hero = home.One("section.hero")!;
        Assert.Contains("Featured Deal of the Day", hero.TextContent);
        // Which product is today's deal depends on the date (FeaturedDealTests); whichever it is, the hero shows it whole.
        var slug = hero.GetAttribute("data-ht-product")!;
        var deal = await factory.WithDbAsync(db => db.Products.Include(p => p.Specs).SingleAsync(p => p.Slug == slug));
        Assert.Contains(deal.Name, hero.TextContent);
        Assert.Contains(Money.Format(deal.PriceCents), hero.TextContent);
        var specs = hero.QuerySelector($"[data-ht-specs='{slug}']")!;
        Assert.Contains(deal.Specs.OrderBy(s => s.SortOrder).First().Value, specs.TextContent);

        var cards = home.All(".product-grid [data-ht-product]");
        var productCount = await factory.WithDbAsync(db => Task.FromResult(db.Products.Count()));
        Assert.Equal(productCount, cards.Count);
        Assert.True(productCount >= 24);
        Assert.All(cards, c => Assert.NotNull(c.QuerySelector("button[data-ht='add_to_cart']")));
        Assert.All(cards, c => Assert.NotNull(c.QuerySelector($"img[src='/img/products/{c.GetAttribute("data-ht-product")}.svg'][alt]")));
    }

    [Fact]
    public async Task Every_product_has_a_local_image_file()
    {
        var client = factory.CreateClient();
        var slugs = await factory.WithDbAsync(db => Task.FromResult(db.Products.Select(p => p.Slug).ToList()));
        foreach (var slug in slugs)
        {
            var response = await client.GetAsync($"/img/products/{slug}.svg");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"missing image for {slug}");
            Assert.Equal("image/svg+xml", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Category_filter_shows_only_that_category()
    {
        var page = await NewBrowser().GetAsync("/?category=audio");

        var slugs = page.All(".product-grid [data-ht-product]").Select(c => c.GetAttribute("data-ht-product")!).ToList();
        var expected = await factory.WithDbAsync(db => Task.FromResult(
            db.Products.Where(p => p.Category.Slug == "audio").Select(p => p.Slug).OrderBy(s => s).ToList()));
        Assert.Equal(expected, slugs.OrderBy(s => s).ToList());
        Assert.Null(page.One("section.hero"));
        Assert.Equal("page", page.One(".category-nav a[href='/?category=audio']")!.GetAttribute("aria-current"));
    }

    [Fact]
    public async Task Tag_filter_and_category_combine()
    {
        var page = await NewBrowser().GetAsync("/?category=phones&tag=pastel");

        var slugs = page.All(".product-grid [data-ht-product]").Select(c => c.GetAttribute("data-ht-product")!).ToList();
        Assert.Equal(["pixel-9-pink"], slugs);
    }

    [Fact]
    public async Task Search_matches_name_brand_and_tags_case_insensitively()
    {
        var browser = NewBrowser();

        var sony = await browser.GetAsync("/?q=SONY");
        var sonySlugs = sony.All(".product-grid [data-ht-product]").Select(c => c.GetAttribute("data-ht-product")).ToHashSet();
        Assert.Equal(new HashSet<string?> { "sony-wh-1000xm5", "ps5-slim" }, sonySlugs);
        Assert.Contains("Results for “SONY”", sony.Text);
        Assert.Equal("SONY", sony.One("#site-search")!.GetAttribute("value"));

        var pastel = await browser.GetAsync("/?q=pastel");
        Assert.Contains("keychron-k2-pastel", pastel.All("[data-ht-product]").Select(c => c.GetAttribute("data-ht-product")));
    }

    [Theory]
    [InlineData("%")]
    [InlineData("_")]
    [InlineData("' OR 1=1 --")]
    [InlineData("\"; DROP TABLE Products; --")]
    [InlineData("<script>alert(1)</script>")]
    public async Task Hostile_search_terms_find_nothing_and_never_fail(string query)
    {
        var page = await NewBrowser().GetAsync("/?q=" + Uri.EscapeDataString(query));

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Empty(page.All(".product-grid [data-ht-product]"));
        Assert.Contains("No products match", page.Text);
        Assert.DoesNotContain("<script>alert(1)</script>", await page.Response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_oversized_search_is_cut_to_the_limit_instead_of_failing()
    {
        var page = await NewBrowser().GetAsync("/?q=" + new string('a', 5000) + "&category=../../etc&tag=%00");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal(new string('a', CatalogFilter.MaxQueryLength), page.One(".filters input[name=q]")!.GetAttribute("value"));
    }

    [Fact]
    public async Task Product_page_shows_gallery_price_specs_tags_and_an_add_to_cart_form()
    {
        var page = await NewBrowser().GetAsync("/product/sony-wh-1000xm5");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        var section = page.One("article[data-ht-product='sony-wh-1000xm5']")!;
        Assert.Equal("Sony WH-1000XM5", section.QuerySelector("h1")!.TextContent);
        Assert.Contains("€379.00", section.QuerySelector(".price")!.TextContent);
        Assert.Equal(3, section.QuerySelectorAll(".gallery-shot img[src='/img/products/sony-wh-1000xm5.svg']").Length);
        var specs = section.QuerySelector("[data-ht-specs='sony-wh-1000xm5']")!;
        Assert.Contains("Adaptive, 8 microphones", specs.TextContent);
        var tags = section.QuerySelectorAll(".tags .chip").Select(t => t.TextContent).ToList();
        Assert.Contains("Sony", tags);
        Assert.Contains("Minimal", tags);
        var quantity = section.QuerySelector("form.add-form input[name=quantity]")!;
        Assert.Equal("1", quantity.GetAttribute("min"));
        Assert.Equal("99", quantity.GetAttribute("max"));
        Assert.NotNull(section.QuerySelector("label[for=quantity]"));
        Assert.NotNull(section.QuerySelector("form.add-form button[data-ht='add_to_cart']"));
    }

    [Theory]
    [InlineData("/product/no-such-thing")]
    [InlineData("/product/UPPER-case")]
    [InlineData("/product/" + "x%27%3B--")]
    [InlineData("/orders/not-an-order")]
    [InlineData("/no/such/page")]
    public async Task Unknown_addresses_get_a_friendly_404_page(string url)
    {
        var page = await NewBrowser().GetAsync(url);

        Assert.Equal(HttpStatusCode.NotFound, page.Status);
        Assert.Contains("We couldn’t find that page", page.Text);
        Assert.NotNull(page.One("header .logo"));
        Assert.NotNull(page.One("a[href='/']"));
    }

    [Theory]
    [InlineData("/index.html", "/")]
    [InlineData("/product.html?id=ps5-slim", "/product/ps5-slim")]
    [InlineData("/product.html?id=../../admin", "/")]
    [InlineData("/product.html?id=42%3Cx", "/")]
    [InlineData("/product.html", "/")]
    [InlineData("/checkout.html?token=abc", "/checkout?token=abc")]
    [InlineData("/checkout.html?token=a%2Bb%26c%3Dd%20e", "/checkout?token=a%2Bb%26c%3Dd%20e")]
    [InlineData("/checkout.html", "/checkout")]
    [InlineData("/admin.html", "/admin")]
    [InlineData("/analytics.html", "/analytics")]
    public async Task Legacy_prototype_urls_redirect_permanently(string from, string to)
    {
        var response = await NewBrowser().GetRawAsync(from);

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal(to, response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Every_page_has_the_layout_landmarks_and_the_cart_drawer()
    {
        var browser = NewBrowser();
        foreach (var url in new[] { "/", "/product/ps5-slim", "/cart", "/checkout" })
        {
            var page = await browser.GetAsync(url);
            Assert.NotNull(page.One("header.site-header a.logo"));
            Assert.NotNull(page.One("form[role=search] input[name=q][maxlength]"));
            Assert.NotNull(page.One("nav.category-nav"));
            Assert.NotNull(page.One("main#main"));
            Assert.NotNull(page.One("footer.site-footer"));
            Assert.Equal("/cart", page.One("a.cart-button")!.GetAttribute("href"));
            Assert.NotNull(page.One("aside#cart-drawer"));
            Assert.NotNull(page.One("script[src^='/js/store.js'][defer]"));
            Assert.Empty(page.All("script:not([src])"));
            Assert.Empty(page.All("[onclick], [onload], [onsubmit], [onchange]"));
            // The CSP allows styles from files only; an inline style attribute would be blocked and logged.
            Assert.Empty(page.All("[style], style"));
        }
    }

    [Theory]
    [InlineData("/Error?code=500", "Sorry, something went wrong on our side")]
    [InlineData("/Error?code=abc", "Sorry, something went wrong on our side")]
    [InlineData("/Error?code=429", "Too many requests")]
    public async Task The_error_page_explains_itself_in_plain_words(string url, string heading)
    {
        var page = await NewBrowser().GetAsync(url);

        Assert.Equal(heading, page.One("h1")!.TextContent);
        Assert.DoesNotContain("Development Mode", page.Text);
    }
}
