using System.Text;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using HappiTrack.E2E.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace HappiTrack.E2E;

/// <summary>
/// axe-core (Deque.AxeCore.Playwright, which injects axe into the page under test only) on every store page, on
/// the analytics page, empty and with data, and on every admin page but Hangfire's, at a phone's and a laptop's width. Any serious or critical
/// violation fails, listed with the page, the rule and the offending elements.
/// </summary>
public sealed class AccessibilityTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Email = "a11y-analyst@example.com";
    private const string Password = "a11y analyst horse battery";
    private const string DesktopUserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
    /// <summary>Rules below "serious" that issue 17 named; they fail too, so they stay fixed.</summary>
    private static readonly HashSet<string> AlsoFailing = ["label-content-name-mismatch", "heading-order", "page-has-heading-one", "empty-table-header", "scrollable-region-focusable"];

    private async Task<IPage> PageAsync(int width)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = browser.App.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = 800 },
            UserAgent = DesktopUserAgent,
        });
        return await context.NewPageAsync();
    }

    private static async Task AuditAsync(IPage page, string name, List<string> problems, bool animated = true)
    {
        // Let entrance animations settle: axe measures contrast on what is painted, and a half-faded card reads as low contrast.
        // The admin pages have none.
        if (animated) await page.WaitForTimeoutAsync(600);
        // label-content-name-mismatch is experimental in axe 4.x, so it is off unless asked for (WCAG 2.5.3).
        var result = await page.RunAxe(new AxeRunOptions
        {
            Rules = new Dictionary<string, RuleOptions> { ["label-content-name-mismatch"] = new() { Enabled = true } },
            // Only the violations come back with their nodes: a page with a few hundred table cells otherwise
            // ships every passing node to the test, which took seconds per page.
            ResultTypes = [ResultType.Violations],
        });
        foreach (var violation in result.Violations.Where(v => v.Impact is "serious" or "critical" || AlsoFailing.Contains(v.Id)))
        {
            var nodes = new StringBuilder();
            foreach (var node in violation.Nodes.Take(5)) nodes.Append($"\n      {node.Target} {string.Join("; ", node.Any.Concat(node.All).Concat(node.None).Select(c => c.Message))}");
            problems.Add($"{name}: {violation.Id} ({violation.Impact}, {violation.Nodes.Count()} nodes) {violation.Help}{nodes}");
        }
    }

    [Theory]
    [InlineData(375)]
    [InlineData(1280)]
    public async Task Every_store_page_has_no_serious_or_critical_axe_violation(int width)
    {
        var problems = new List<string>();
        var page = await PageAsync(width);

        await page.GotoAsync("/");
        await AuditAsync(page, "home", problems);
        await page.GotoAsync("/?category=audio");
        await AuditAsync(page, "home filtered", problems);
        await page.GotoAsync("/?q=nothing-matches-this");
        await AuditAsync(page, "home no results", problems);
        await page.GotoAsync("/cart");
        await AuditAsync(page, "empty cart", problems);
        await page.GotoAsync("/product/sony-wh-1000xm5");
        await AuditAsync(page, "product", problems);
        await page.Locator("form.add-form button[data-ht='add_to_cart']").ClickAsync();
        await Assertions.Expect(page.Locator("#cart-drawer")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("is-open"));
        await AuditAsync(page, "product with cart drawer", problems);
        // The Deal of the Day's page and its cart line: the struck-through was-price, the saving and the deal note.
        await page.GotoAsync($"/product/{HappiTrack.Web.Features.Catalog.CatalogSeed.FeaturedSlug}");
        await Assertions.Expect(page.Locator("[data-deal-price]")).ToBeVisibleAsync();
        await AuditAsync(page, "deal product", problems);
        await page.Locator("form.add-form button[data-ht='add_to_cart']").ClickAsync();
        await Assertions.Expect(page.Locator("#cart-drawer")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("is-open"));
        await page.GotoAsync("/cart");
        await AuditAsync(page, "cart", problems);
        await page.GotoAsync("/checkout");
        await AuditAsync(page, "checkout", problems);
        await page.Locator("button[data-ht='place_order']").ClickAsync();
        await Assertions.Expect(page.Locator(".form-errors")).ToBeVisibleAsync();
        await AuditAsync(page, "checkout with errors", problems);
        await page.GetByLabel("Full name").FillAsync("Amina Shopper");
        await page.GetByLabel("Phone number").FillAsync("+49 151 2345 6789");
        await page.Locator("button[data-ht='place_order']").ClickAsync();
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/orders/"));
        await AuditAsync(page, "order confirmation", problems);
        await page.GotoAsync("/privacy");
        await AuditAsync(page, "privacy", problems);
        await page.GotoAsync("/product/no-such-product");
        await AuditAsync(page, "404", problems);

        await page.Context.CloseAsync();
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Theory]
    [InlineData(375)]
    [InlineData(768)]
    [InlineData(1280)]
    public async Task The_analytics_page_empty_and_with_data_has_no_serious_or_critical_axe_violation(int width)
    {
        await EnsureAnalystAsync();
        var problems = new List<string>();
        var page = await PageAsync(width);
        await page.GotoAsync("/analytics");
        await page.GetByLabel("Email").FillAsync(Email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/analytics");
        await AuditAsync(page, "analytics (login → page)", problems);
        Assert.True(await page.Locator("[data-chart-empty]").CountAsync() > 0 || await page.Locator("canvas").CountAsync() > 1);

        await AdminPages.EnsureDemoShopAsync(browser.App);
        await page.GotoAsync("/analytics?preset=30d");
        await AuditAsync(page, "analytics with data", problems);
        // A tile whose figure is wider than the tile (the Revenue tile was, at 768 and 1280).
        var overflowing = await page.EvaluateAsync<string[]>(
            "() => Array.from(document.querySelectorAll('.an-kpi')).filter(t => t.scrollWidth > t.clientWidth + 1).map(t => t.querySelector('dt').textContent)");
        Assert.True(overflowing.Length == 0, $"KPI tiles overflow at {width}px: {string.Join(", ", overflowing)}");
        // No width scrolls sideways (at 375 the abandonment table once widened the page).
        await page.Locator("details.an-table").EvaluateAllAsync<int>("ds => { ds.forEach(d => d.open = true); return ds.length; }");
        var wide = await page.EvaluateAsync<string?>(PageLayout.OverflowScript);
        Assert.True(wide is null, $"the analytics page scrolls sideways at {width}px: {wide}");

        await page.Context.CloseAsync();
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Theory]
    [InlineData(375)]
    [InlineData(1280)]
    public async Task Every_admin_page_full_of_data_has_no_serious_or_critical_axe_violation(int width)
    {
        await AdminPages.EnsureDemoShopAsync(browser.App);
        var problems = new List<string>();
        var page = await AdminPages.SignedInPageAsync(browser, width, login => AuditAsync(login, "admin login", problems, animated: false));
        foreach (var adminPage in await AdminPages.AllAsync(browser.App))
        {
            await adminPage.Open(page);
            await AuditAsync(page, adminPage.Name, problems, animated: false);
        }
        await page.Context.CloseAsync();
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    private async Task EnsureAnalystAsync()
    {
        await using var scope = browser.App.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        if (await users.FindByEmailAsync(Email) is not null) return;
        var analyst = new IdentityUser { UserName = Email, Email = Email, EmailConfirmed = true };
        Assert.True((await users.CreateAsync(analyst, Password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(analyst, "Analyst")).Succeeded);
    }
}
