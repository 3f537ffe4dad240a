using HappiTrack.Web.Features.Admin;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace HappiTrack.E2E.Infrastructure;

/// <summary>
/// A shop with enough history that every admin table is full (demo contacts, nudges, orders and campaigns, a few
/// failed sends, staff accounts, API tokens and audit entries with long values), and the list of admin pages over it,
/// for the layout walk and the axe audit (issue 17).
/// </summary>
public static class AdminPages
{
    public const string Email = "layout.admin@example.com";
    public const string Password = "a layout e2e admin password";
    public const string DesktopUserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
    private static readonly SemaphoreSlim SeedOnce = new(1, 1);

    /// <summary>One admin page: how a person gets there from a signed-in session.</summary>
    public sealed record AdminPage(string Name, Func<IPage, Task> Open);

    /// <summary>Seeds the demo shop once per app (the analytics audit reads the same history).</summary>
    public static async Task EnsureDemoShopAsync(AppServer app)
    {
        await SeedOnce.WaitAsync();
        try
        {
            if (await app.WithDbAsync(db => db.Orders.AnyAsync())) return;
            await app.RunAsync<DemoDataGenerator>(demo => demo.RunAsync(
                new DemoDataOptions(Events: 3000, Visitors: 200, Contacts: 80, Orders: 40, Days: 30, Seed: 5), TextWriter.Null));
            await app.WithDbAsync(async db =>
            {
                // The outbox's widest rows: sends that failed with a provider's long error.
                var waiting = await db.Set<Nudge>().Where(n => n.Status == NudgeStatuses.Queued).OrderBy(n => n.Id).Take(4).ToListAsync();
                var now = DateTime.UtcNow;
                for (var i = 0; i < waiting.Count; i++)
                {
                    const string error = "WhatsApp Cloud API 400: (#131026) Message undeliverable: the receiver is incapable of receiving this message; https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes";
                    if (i % 2 == 0) waiting[i].Fail(error, now.AddMinutes(5)); else waiting[i].DeadLetter(error);
                }
                return await db.SaveChangesAsync();
            });
            await AddAdminAsync(app, Email, Password, AuthPolicies.AdminRole);
            await AddAdminAsync(app, "maximiliane.hohenzollern-sigmaringen.operations@example-electronics-shop.com", Password, "Analyst");
            await AddAdminAsync(app, "night.shift.support.team.lead@example-electronics-shop.com", Password, AuthPolicies.AdminRole);
            await using var scope = app.Services.CreateAsyncScope();
            var tokens = scope.ServiceProvider.GetRequiredService<ApiTokenService>();
            await tokens.CreateAsync("WhatsApp bot on the support team's shared automation server (production)", Email);
            await tokens.CreateAsync("Nightly export", Email);
            var audit = scope.ServiceProvider.GetRequiredService<IAuditLog>();
            await audit.RecordAsAsync(Email, "settings.update", "rules",
                new { before = new { template = "Hi {name}, your {product} is waiting: {link}", percent = 10 }, after = new { template = "Hello {name}! The {product} you looked at is still here, now 15% off for 48 hours: {link}", percent = 15 } });
        }
        finally { SeedOnce.Release(); }
    }

    private static async Task AddAdminAsync(AppServer app, string email, string password, string role)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        if (await users.FindByEmailAsync(email) is not null) return;
        var user = new IdentityUser { UserName = email, Email = email, EmailConfirmed = true };
        Assert.True((await users.CreateAsync(user, password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, role)).Succeeded);
    }

    /// <summary>A fresh context at <paramref name="width"/> with the demo admin signed in through the login page.</summary>
    public static async Task<IPage> SignedInPageAsync(BrowserFixture browser, int width, Func<IPage, Task>? onLoginPage = null)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = browser.App.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = 800 },
            UserAgent = DesktopUserAgent,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/admin/login");
        if (onLoginPage is not null) await onLoginPage(page);
        await page.GetByLabel("Email").FillAsync(Email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/admin");
        return page;
    }

    /// <summary>Every admin page but Hangfire's dashboard, each with its fullest content.</summary>
    public static async Task<IReadOnlyList<AdminPage>> AllAsync(AppServer app)
    {
        // The contact with the most messages (some still waiting, so the row actions show) and the busiest campaign.
        var contactId = await app.WithDbAsync(db => db.Set<Nudge>()
            .GroupBy(n => n.ContactId)
            .OrderByDescending(g => g.Count(n => NudgeStatuses.Pending.Contains(n.Status))).ThenByDescending(g => g.Count())
            .Select(g => g.Key).FirstAsync());
        var campaignId = await app.WithDbAsync(db => db.Set<Nudge>().Where(n => n.CampaignId != null)
            .GroupBy(n => n.CampaignId).OrderByDescending(g => g.Count()).Select(g => g.Key!.Value).FirstAsync());
        Func<IPage, Task> Go(string path) => page => page.GotoAsync(path);
        return
        [
            new("dashboard", Go("/admin")),
            new("contacts list", Go("/admin/contacts")),
            new("contact details", Go($"/admin/contacts/{contactId}")),
            new("campaigns", Go("/admin/campaigns")),
            new("campaign preview", async page =>
            {
                await page.GotoAsync("/admin/campaigns");
                await page.Locator("#Name").FillAsync("Weekend deals for everyone who looked at headphones");
                await page.Locator("#Message").FillAsync("Hi {name}, the {product} you looked at is 10% off this weekend only: {link}");
                await page.GetByRole(AriaRole.Button, new() { Name = "Preview", Exact = true }).ClickAsync();
                await page.Locator("#campaign-preview").WaitForAsync();
            }),
            new("campaign log", Go($"/admin/campaigns/{campaignId}?size=100")),
            new("outbox", Go("/admin/outbox")),
            new("rules", Go("/admin/rules")),
            new("links", Go("/admin/links")),
            new("links with a new link", async page =>
            {
                await page.GotoAsync("/admin/links");
                await page.GetByLabel("Phone").FillAsync("+49 151 9876 5432");
                await page.GetByLabel("Name").FillAsync("Maximiliane Josefine von Hohenzollern-Sigmaringen");
                await page.GetByRole(AriaRole.Button, new() { Name = "Create tracked link" }).ClickAsync();
                await page.Locator("#tracked-url").WaitForAsync();
            }),
            new("users", Go("/admin/users")),
            new("API tokens", Go("/admin/api-tokens")),
            new("audit log", Go("/admin/audit")),
            new("sites", Go("/admin/sites")),
        ];
    }
}
