using HappiTrack.E2E.Infrastructure;
using Microsoft.Playwright;

namespace HappiTrack.E2E;

/// <summary>
/// Every admin page, full of demo data, at a phone's, a tablet's and a laptop's width (issue 17): the page never
/// scrolls sideways (a wide table scrolls inside its own focusable, labelled region), the menu stays on one line
/// at 1280 and takes little of a phone's screen.
/// </summary>
public sealed class AdminLayoutTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    /// <summary>The header may take at most this much of an 800 px tall screen (it took 385 px at 375 before).</summary>
    private const int MaxHeaderHeight = 130;

    /// <summary>Problems with the table convention and the menu, one line each; empty when all is well.</summary>
    private const string LayoutProblemsScript = """
        ([width, maxHeader]) => {
          const problems = [];
          for (const table of document.querySelectorAll('main table')) {
            const region = table.closest('.table-scroll, .an-table-scroll');
            const name = table.id || table.closest('section')?.querySelector('h2')?.textContent || 'a table';
            if (!region) { problems.push(`${name} is not inside a .table-scroll region`); continue; }
            if (region.getAttribute('role') !== 'region' || !region.getAttribute('aria-label') || region.getAttribute('tabindex') !== '0')
              problems.push(`${name}: its scroll container needs role=region, an aria-label and tabindex=0`);
          }
          // A cell that is itself a flex box stops being a cell and breaks its row's borders; the flex goes on a div inside.
          for (const cell of document.querySelectorAll('main table:not(.cards) td'))
            if (getComputedStyle(cell).display !== 'table-cell') { problems.push(`a cell of ${cell.closest('table').id || 'a table'} is display:${getComputedStyle(cell).display}, not a table cell`); break; }
          const header = document.querySelector('.admin-header');
          if (header) {
            const height = Math.round(header.getBoundingClientRect().height);
            if (height > maxHeader) problems.push(`the admin header is ${height}px tall (at most ${maxHeader})`);
            const links = Array.from(document.querySelectorAll('.admin-nav a'));
            if (width >= 1280 && new Set(links.map(a => Math.round(a.getBoundingClientRect().top))).size > 1)
              problems.push('the admin menu wraps onto a second line');
          }
          return problems;
        }
        """;

    [Theory]
    [InlineData(375)]
    [InlineData(768)]
    [InlineData(1280)]
    public async Task Every_admin_page_fits_the_window_without_sideways_scrolling(int width)
    {
        await AdminPages.EnsureDemoShopAsync(browser.App);
        var problems = new List<string>();
        var page = await AdminPages.SignedInPageAsync(browser, width, login => CheckAsync(login, "login", width, problems));
        foreach (var adminPage in await AdminPages.AllAsync(browser.App))
        {
            await adminPage.Open(page);
            await CheckAsync(page, adminPage.Name, width, problems);
        }
        await page.Context.CloseAsync();
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    private static async Task CheckAsync(IPage page, string name, int width, List<string> problems)
    {
        if (await page.EvaluateAsync<string?>(PageLayout.OverflowScript) is { } overflow) problems.Add($"{name} at {width}px: {overflow}");
        foreach (var problem in await page.EvaluateAsync<string[]>(LayoutProblemsScript, new object[] { width, MaxHeaderHeight }))
            problems.Add($"{name} at {width}px: {problem}");
    }

    /// <summary>
    /// Not part of the CI run: retakes the before/after pictures in docs/screenshots/issue17 when HT_SCREENSHOTS names
    /// a folder (HT_SCREENSHOT_LABEL, e.g. "after", ends each file name; HT_SCREENSHOT_WIDTH, default 768, and
    /// HT_SCREENSHOT_PAGES, default the three of the issue, e.g. "campaigns=/admin/campaigns,audit=/admin/audit").
    /// </summary>
    [ScreenshotFact]
    public async Task Screenshots_of_the_admin()
    {
        var folder = Environment.GetEnvironmentVariable("HT_SCREENSHOTS")!;
        var label = Environment.GetEnvironmentVariable("HT_SCREENSHOT_LABEL") ?? "after";
        var width = int.TryParse(Environment.GetEnvironmentVariable("HT_SCREENSHOT_WIDTH"), out var w) ? w : 768;
        var pages = (Environment.GetEnvironmentVariable("HT_SCREENSHOT_PAGES") ?? "contacts=/admin/contacts,outbox=/admin/outbox,users=/admin/users")
            .Split(',').Select(p => p.Split('=', 2)).Select(p => (Name: p[0], Path: p[1]));
        Directory.CreateDirectory(folder);
        await AdminPages.EnsureDemoShopAsync(browser.App);
        var page = await AdminPages.SignedInPageAsync(browser, width);
        foreach (var (name, path) in pages)
        {
            await page.GotoAsync(path);
            // The whole width (so a too-wide page shows as one) and the top of the page (so the files stay small).
            var size = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]");
            await page.ScreenshotAsync(new()
            {
                Path = Path.Combine(folder, $"{name}-{width}-{label}.png"),
                FullPage = true,
                Clip = new() { X = 0, Y = 0, Width = size[0], Height = Math.Min(size[1], 1000) },
            });
        }
        await page.Context.CloseAsync();
    }
}

/// <summary>A fact that runs only when HT_SCREENSHOTS is set, so CI does not spend time on pictures.</summary>
public sealed class ScreenshotFactAttribute : FactAttribute
{
    public ScreenshotFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("HT_SCREENSHOTS")))
            Skip = "Set HT_SCREENSHOTS to a folder to take the admin screenshots.";
    }
}
