using System.Net;
using System.Text.Json;
using HappiTrack.Web.Tests.Admin;

namespace HappiTrack.Web.Tests.Privacy;

/// <summary><c>GET /api/contacts/{id}/export</c> (issue 18, GDPR art. 15).</summary>
public sealed class ContactExportTests
{
    [Fact]
    public async Task The_export_holds_exactly_the_contacts_data_and_nothing_of_another_contact()
    {
        await using var app = new AdminFactory();
        var alice = await PrivacyKit.SeedAsync(app, "+4915100000001", "Alice Export", events: 25);
        var bob = await PrivacyKit.SeedAsync(app, "+4915100000002", "Bob Other", events: 7);
        using var api = PrivacyKit.ApiClient(app);

        var response = await api.GetAsync($"/api/contacts/{alice.Id}/export");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(bob.Phone, text);
        Assert.DoesNotContain(bob.Name, text);
        Assert.DoesNotContain(bob.VisitorId, text);
        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement;
        Assert.Equal(alice.Phone, root.GetProperty("contact").GetProperty("phone").GetString());
        Assert.Equal(alice.Name, root.GetProperty("contact").GetProperty("name").GetString());
        var consent = Assert.Single(root.GetProperty("consentHistory").EnumerateArray());
        Assert.True(consent.GetProperty("optedIn").GetBoolean());
        Assert.Equal("api", consent.GetProperty("source").GetString());
        var order = Assert.Single(root.GetProperty("orders").EnumerateArray());
        Assert.Equal(alice.OrderId, order.GetProperty("publicId").GetString());
        Assert.Single(order.GetProperty("lines").EnumerateArray());
        var token = Assert.Single(root.GetProperty("tokens").EnumerateArray());
        Assert.Equal("active", token.GetProperty("state").GetString());
        Assert.False(token.TryGetProperty("hash", out _));
        var nudges = root.GetProperty("nudges").EnumerateArray().ToList();
        Assert.Equal(["queued", "sent"], nudges.Select(n => n.GetProperty("status").GetString()).Order());
        Assert.All(nudges, n => Assert.Contains("Alice Export", n.GetProperty("message").GetString()));
        Assert.All(nudges, n => Assert.False(n.TryGetProperty("tokenValue", out _)));
        Assert.Equal(2, root.GetProperty("interestScores").GetArrayLength());
        Assert.Equal(alice.VisitorId, Assert.Single(root.GetProperty("visitors").EnumerateArray()).GetProperty("id").GetString());
        var events = root.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(alice.Events, events.Count);
        Assert.All(events, e => Assert.Equal(alice.VisitorId, e.GetProperty("visitorId").GetString()));
        Assert.Equal(events.Count, events.Select(e => e.GetProperty("id").GetInt64()).Distinct().Count());
    }

    [Fact]
    public async Task An_unknown_contact_is_a_404_problem()
    {
        await using var app = new AdminFactory();
        using var api = PrivacyKit.ApiClient(app);

        var response = await api.GetAsync("/api/contacts/999999/export");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_analyst_can_neither_export_nor_erase()
    {
        await using var app = new AdminFactory();
        var alice = await PrivacyKit.SeedAsync(app, "+4915100000003", "Alice Analysed", events: 3);
        await app.CreateUserAsync("analyst@example.com", "analyst password 1", "Analyst");
        using var analyst = await app.SignedInClientAsync("analyst@example.com", "analyst password 1");

        var export = await analyst.GetAsync($"/api/contacts/{alice.Id}/export");
        using var erase = new HttpRequestMessage(HttpMethod.Delete, $"/api/contacts/{alice.Id}?reason=test");
        erase.Headers.Add("RequestVerificationToken", await AdminFactory.AntiforgeryTokenAsync(analyst, "/admin/login"));
        var deleted = await analyst.SendAsync(erase);

        Assert.Equal(HttpStatusCode.Forbidden, export.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, deleted.StatusCode);
        Assert.Equal(alice.Phone, await app.WithDbAsync(db => Task.FromResult(db.Contacts.Single(c => c.Id == alice.Id).Phone)));
    }

    [Fact]
    public async Task The_admin_contact_page_links_the_export()
    {
        await using var app = new AdminFactory();
        var alice = await PrivacyKit.SeedAsync(app, "+4915100000004", "Alice Page", events: 2);
        using var admin = await app.AdminClientAsync();

        var html = await admin.GetStringAsync($"/admin/contacts/{alice.Id}");
        var export = await admin.GetAsync($"/api/contacts/{alice.Id}/export");

        Assert.Contains($"href=\"/api/contacts/{alice.Id}/export\"", html);
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Contains(alice.Phone, await export.Content.ReadAsStringAsync());
    }
}
