using HappiTrack.E2E.Infrastructure;
using HappiTrack.Web.Features.Analytics;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace HappiTrack.E2E;

/// <summary>The browser, app server and a generated shop history for the analytics dashboard.</summary>
public sealed class AnalyticsFixture : IAsyncLifetime
{
    public const string Email = "analyst@example.com";
    public const string Password = "analyst horse battery";
    public BrowserFixture Browser { get; } = new();

    public async Task InitializeAsync()
    {
        await Browser.InitializeAsync();
        await using var scope = Browser.App.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var analyst = new IdentityUser { UserName = Email, Email = Email, EmailConfirmed = true };
        Assert.True((await users.CreateAsync(analyst, Password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(analyst, "Analyst")).Succeeded);
        await scope.ServiceProvider.GetRequiredService<DemoDataGenerator>().RunAsync(
            new DemoDataOptions(Events: 3000, Visitors: 250, Contacts: 30, Orders: 30, Days: 40, Seed: 3), TextWriter.Null);
    }

    public Task DisposeAsync() => Browser.DisposeAsync();
}

public sealed class AnalyticsTests(AnalyticsFixture fixture) : IClassFixture<AnalyticsFixture>
{
    private async Task<IPage> AnalystPageAsync(List<string> problems)
    {
        var context = await fixture.Browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fixture.Browser.App.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/analytics?preset=30d");
        await page.GetByLabel("Email").FillAsync(AnalyticsFixture.Email);
        await page.GetByLabel("Password").FillAsync(AnalyticsFixture.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/analytics?preset=30d");
        page.Console += (_, message) => { if (message.Type == "error") problems.Add($"console: {message.Text} ({message.Location})"); };
        page.PageError += (_, error) => problems.Add($"page error: {error}");
        return page;
    }

    /// <summary>Canvas ids whose bitmap has no pixel with alpha above zero yet.</summary>
    private const string BlankCanvases = """
        () => Array.from(document.querySelectorAll('canvas')).filter(c => {
          const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return false;
          return true;
        }).map(c => c.id)
        """;

    /// <summary>
    /// Issue 19: the lift section shows both arms of the demo's planted experiment and, with a 30-contact shop,
    /// says plainly that the groups are too small to tell; the lift CSV downloads from the section.
    /// </summary>
    [Fact]
    public async Task The_lift_section_shows_both_arms_and_says_when_it_is_too_small_to_tell()
    {
        var problems = new List<string>();
        var page = await AnalystPageAsync(problems);
        var section = page.Locator("section#lift");
        await Assertions.Expect(section.GetByRole(AriaRole.Heading, new() { Name = "Did the nudges cause the orders? Lift over the control groups" })).ToBeVisibleAsync();
        var rescue = section.Locator("#lift-summary tr[data-group='Cart rescue']");
        await Assertions.Expect(rescue).ToBeVisibleAsync();
        var cells = await rescue.Locator("td").AllInnerTextsAsync();
        Assert.True(int.Parse(cells[0]) > 0, "treated contacts");
        Assert.True(int.Parse(cells[1]) > 0, "held-out contacts");
        await Assertions.Expect(section.Locator("#lift-summary tr[data-verdict='too-small'] .lift-verdict").First).ToContainTextAsync("Too small to tell");
        await Assertions.Expect(section.GetByText("Blast to every opted-in contact (estimate)").First).ToBeVisibleAsync();

        await section.Locator("details[data-table=lift] summary").ClickAsync();
        var download = await page.RunAndWaitForDownloadAsync(() => section.Locator("details[data-table=lift] a.an-csv").ClickAsync());
        Assert.StartsWith("lift-", download.SuggestedFilename);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task The_dashboard_draws_every_chart_without_console_errors_and_follows_the_range()
    {
        var problems = new List<string>();
        var page = await AnalystPageAsync(problems);

        await page.GotoAsync("/analytics?preset=30d");
        var canvases = await page.Locator("canvas").EvaluateAllAsync<string[]>("cs => cs.map(c => c.id)");
        Assert.Equal(["chart-funnel", "chart-abandonment", "chart-cart-outcomes", "chart-tag-trends", "chart-top-products", "chart-nudges", "chart-heatmap"], canvases);
        await page.WaitForFunctionAsync($"({BlankCanvases})().length === 0", null, new() { Timeout = 10_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "analytics-30d.png"), FullPage = true });

        var visitors30 = int.Parse(await page.Locator("[data-kpi=visitors]").InnerTextAsync());
        Assert.True(visitors30 > 0);

        await page.Locator("a[data-preset=today]").ClickAsync();
        await page.WaitForURLAsync("**/analytics?preset=today*");
        await page.WaitForFunctionAsync($"({BlankCanvases})().length === 0");
        var visitorsToday = int.Parse(await page.Locator("[data-kpi=visitors]").InnerTextAsync());
        Assert.True(visitorsToday < visitors30, $"today {visitorsToday} vs 30 days {visitors30}");

        // A custom range typed into the form: a single day long before the history gives zeros.
        await page.Locator("#range-from").FillAsync("2025-01-01");
        await page.Locator("#range-to").FillAsync("2025-01-02");
        await page.Locator("#range-form button[type=submit]").ClickAsync();
        await page.WaitForURLAsync("**from=2025-01-01*");
        Assert.Equal("0", await page.Locator("[data-kpi=visitors]").InnerTextAsync());
        Assert.Contains("2025-01-01", await page.Locator("#range-showing").InnerTextAsync());

        // The date input refuses text, so a bad date can only come from the address bar.
        await page.GotoAsync("/analytics?from=2025-02-30&to=2025-03-01");
        Assert.Contains("not a date", await page.Locator("[role=alert]").InnerTextAsync());

        Assert.Empty(problems);
    }
}
