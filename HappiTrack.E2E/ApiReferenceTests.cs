using HappiTrack.E2E.Infrastructure;
using Microsoft.Playwright;

namespace HappiTrack.E2E;

/// <summary>
/// Issue 20: the admin opens the API reference from the nav; Scalar renders the app's OpenAPI document under the
/// page's strict CSP (nonce scripts, connect-src 'self') and the browser asks no other host for anything.
/// </summary>
public sealed class ApiReferenceTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Email = "e2e.reference@example.com";
    private const string Password = "an e2e reference password";

    [Fact]
    public async Task An_admin_reads_the_API_reference_rendered_from_this_app_alone()
    {
        await browser.App.EnsureAdminAsync(Email, Password);
        var page = await browser.NewPageAsync();
        var consoleErrors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") consoleErrors.Add(message.Text); };
        var foreignRequests = new List<string>();
        page.Request += (_, request) =>
        {
            var url = new Uri(request.Url);
            if (url.Scheme.StartsWith("http", StringComparison.Ordinal) && url.Authority != browser.App.BaseAddress.Authority)
                foreignRequests.Add(request.Url);
        };

        await page.GotoAsync("/admin/login");
        await page.GetByLabel("Email").FillAsync(Email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/admin");

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Admin" }).GetByRole(AriaRole.Link, new() { Name = "API reference" }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/admin/api-reference/");
        // Rendered from /openapi/v1.json: its title and an operation (Scalar renders the rest as one scrolls).
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "HappiTrack API" }).First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "post /api/track" }).First).ToBeAttachedAsync(new() { Timeout = 30_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "admin-api-reference.png") });

        Assert.Empty(foreignRequests);
        Assert.Empty(consoleErrors);
    }
}
