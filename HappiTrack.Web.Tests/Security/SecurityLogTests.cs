using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Tokens;
using HappiTrack.Web.Infrastructure;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Storefront;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Security;

/// <summary>
/// SECURITY.md row 16: after failed and locked-out logins, role denials, bad bearer tokens, refused
/// discount tokens, contacts and a checkout with phone numbers, the log tells what happened and
/// keeps no secret and no full phone number.
/// </summary>
public sealed class SecurityLogTests
{
    private const string WrongBearer = "wrong-bearer-token-0123456789abcdef";
    private const string ContactPhone = "+4915112345678";
    private const string ShopperPhone = "+4915199990078";

    [Fact]
    public async Task Security_events_are_logged_with_masked_people_and_no_secrets()
    {
        await using var factory = new AdminFactory();
        await factory.CreateUserAsync("analyst@example.com", "analyst password 1", AuthPolicies.AnalystRole);

        for (var i = 0; i < 6; i++) await AdminFactory.PostLoginAsync(factory.NewClient(), AdminFactory.AdminEmail, "wrong password " + i);
        await AdminFactory.PostLoginAsync(factory.NewClient(), AdminFactory.AdminEmail, AdminFactory.AdminPassword);
        await AdminFactory.PostLoginAsync(factory.NewClient(), "nobody@example.com", "whatever password");

        var analyst = await factory.SignedInClientAsync("analyst@example.com", "analyst password 1");
        Assert.Equal(HttpStatusCode.Forbidden, (await analyst.GetAsync("/admin/users")).StatusCode);

        var intruder = factory.NewClient();
        intruder.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", WrongBearer);
        Assert.Equal(HttpStatusCode.Unauthorized, (await intruder.GetAsync("/api/admin/me")).StatusCode);

        var api = factory.NewClient().WithBearer(AdminFactory.ConfiguredApiToken);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/contacts/init", new { phone = ContactPhone, optIn = true })).StatusCode);
        var (contactId, linkToken) = await factory.WithDbAsync(async db =>
        {
            var contact = await db.Contacts.SingleAsync();
            return (contact.Id, contact.LinkToken);
        });
        Assert.Equal(HttpStatusCode.Redirect, (await factory.NewClient().GetAsync($"/?ht={linkToken}")).StatusCode);

        var tokenValue = await factory.WithDbAsync(async db =>
        {
            var (_, value) = TokenService.Issue(db, contactId, 10, TokenScope.Order, HappiTrackFactory.DefaultStart.UtcDateTime, TimeSpan.FromDays(2));
            await db.SaveChangesAsync();
            return value;
        });
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var tokens = scope.ServiceProvider.GetRequiredService<TokenService>();
            Assert.False((await tokens.CheckAsync(tokenValue, contactId + 1, [new PricedLine(1, 10_000)])).IsValid);
            Assert.False((await tokens.CheckAsync(tokenValue[..^1] + (tokenValue[^1] == 'A' ? 'B' : 'A'), contactId, [new PricedLine(1, 10_000)])).IsValid);
        }

        var shopper = new StorefrontBrowser(factory);
        var product = await shopper.GetAsync("/product/xbox-series-x");
        await shopper.SubmitAsync(product, "form.add-form", new Dictionary<string, string?> { ["quantity"] = "1" });
        var checkout = await shopper.GetAsync("/checkout");
        await shopper.SubmitAsync(checkout, "form.checkout-form", new Dictionary<string, string?> { ["Form.Name"] = "Log", ["Form.Phone"] = ShopperPhone, ["Form.WhatsAppOptIn"] = "true" });

        var lines = factory.Logs.Messages.ToList();
        Assert.Contains(lines, l => l.Contains("Failed sign-in for o***@example.com", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(lines, l => l.Contains("Refused sign-in for locked-out account", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Failed sign-in for unknown account", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Denied", StringComparison.Ordinal) && l.Contains("/admin/users", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Rejected an admin API bearer token", StringComparison.Ordinal));
        Assert.Equal(2, lines.Count(l => l.Contains("Refused a discount token", StringComparison.Ordinal)));

        string[] secrets =
        [
            AdminFactory.AdminPassword, "wrong password", "whatever password", "analyst password 1", AdminFactory.ConfiguredApiToken,
            WrongBearer, linkToken, tokenValue, TokenValue.Hash(tokenValue), AdminFactory.AdminEmail, "nobody@example.com",
            ContactPhone, ContactPhone[1..], ShopperPhone, ShopperPhone[1..], "151 1234 5678",
        ];
        var leaks = lines.SelectMany(l => secrets.Where(s => l.Contains(s, StringComparison.OrdinalIgnoreCase)).Select(s => $"'{s}' in: {l}")).ToList();
        Assert.True(leaks.Count == 0, string.Join("\n", leaks.Take(10)));
        Assert.Equal("+49*********78", PhoneNumber.Mask(ShopperPhone));
    }
}
