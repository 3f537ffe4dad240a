using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using HappiTrack.Web.Features.Admin;
using HappiTrack.Web.Features.Audit;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Infrastructure;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Privacy;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Audit;

/// <summary>The audit trail (issue 18): one row per audited action with the right actor, Admin only, append-only.</summary>
public sealed class AuditLogTests
{
    private static Task<List<AuditEntry>> RowsAsync(AdminFactory app, string action) =>
        app.WithDbAsync(db => db.Set<AuditEntry>().AsNoTracking().Where(e => e.Action == action).ToListAsync());

    [Fact]
    public async Task Export_and_erase_with_an_api_token_write_one_row_each_naming_the_token()
    {
        await using var app = new AdminFactory();
        var alice = await PrivacyKit.SeedAsync(app, "+4915100000101", "Alice Audit", events: 2);
        using var api = PrivacyKit.ApiClient(app);

        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/api/contacts/{alice.Id}/export")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.DeleteAsync($"/api/contacts/{alice.Id}?reason=asked%20by%20email")).StatusCode);
        // A repeat erase changes nothing, so it records nothing.
        Assert.Equal(HttpStatusCode.OK, (await api.DeleteAsync($"/api/contacts/{alice.Id}?reason=again")).StatusCode);

        var export = Assert.Single(await RowsAsync(app, AuditActions.ContactExport));
        Assert.Equal("api-token:configuration", export.Actor);
        Assert.Equal($"contact:{alice.Id}", export.Target);
        Assert.Equal(app.Clock.GetUtcNow().UtcDateTime, export.At);
        var erase = Assert.Single(await RowsAsync(app, AuditActions.ContactErase));
        Assert.Equal("api-token:configuration", erase.Actor);
        Assert.Equal($"contact:{alice.Id}", erase.Target);
        using var details = JsonDocument.Parse(erase.Details!);
        Assert.Equal("asked by email", details.RootElement.GetProperty("reason").GetString());
        Assert.DoesNotContain(alice.Phone, erase.Details);
    }

    [Fact]
    public async Task Export_with_the_admin_cookie_names_the_admin_and_a_named_token_is_named()
    {
        await using var app = new AdminFactory();
        var alice = await PrivacyKit.SeedAsync(app, "+4915100000102", "Alice Cookie", events: 1);
        using var admin = await app.AdminClientAsync();

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/contacts/{alice.Id}/export")).StatusCode);
        var secret = await CreateTokenAsync(admin, "crm-sync");
        using var bearer = app.NewClient();
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync($"/api/contacts/{alice.Id}/export")).StatusCode);

        var exports = await RowsAsync(app, AuditActions.ContactExport);
        Assert.Equal([AdminFactory.AdminEmail, "api-token:crm-sync"], exports.OrderBy(e => e.Id).Select(e => e.Actor));
    }

    [Fact]
    public async Task Sign_in_and_failed_sign_in_write_one_row_each()
    {
        await using var app = new AdminFactory();
        using var client = app.NewClient();

        var failed = await AdminFactory.PostLoginAsync(client, AdminFactory.AdminEmail, "wrong password!");
        Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        var ok = await AdminFactory.PostLoginAsync(client, AdminFactory.AdminEmail, AdminFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, ok.StatusCode);

        var failure = Assert.Single(await RowsAsync(app, AuditActions.SignInFailed));
        Assert.Equal(AdminFactory.AdminEmail, failure.Actor);
        Assert.Contains("wrong_password", failure.Details);
        Assert.Equal(AdminFactory.AdminEmail, Assert.Single(await RowsAsync(app, AuditActions.SignIn)).Actor);
    }

    [Fact]
    public async Task Creating_and_revoking_an_api_token_write_one_row_each_without_the_secret()
    {
        await using var app = new AdminFactory();
        using var admin = await app.AdminClientAsync();

        var secret = await CreateTokenAsync(admin, "warehouse");
        var id = await app.WithDbAsync(db => db.ApiTokens.Select(t => t.Id).SingleAsync());
        using var revoke = new HttpRequestMessage(HttpMethod.Delete, $"/api/admin/api-tokens/{id}");
        revoke.Headers.Add("RequestVerificationToken", await AdminFactory.AntiforgeryTokenAsync(admin, "/admin/api-tokens"));
        Assert.Equal(HttpStatusCode.NoContent, (await admin.SendAsync(revoke)).StatusCode);

        var created = Assert.Single(await RowsAsync(app, AuditActions.ApiTokenCreate));
        Assert.Equal(AdminFactory.AdminEmail, created.Actor);
        Assert.Equal($"api_token:{id}", created.Target);
        Assert.Contains("warehouse", created.Details);
        Assert.DoesNotContain(secret, created.Details);
        var revoked = Assert.Single(await RowsAsync(app, AuditActions.ApiTokenRevoke));
        Assert.Equal(AdminFactory.AdminEmail, revoked.Actor);
        Assert.Equal($"api_token:{id}", revoked.Target);
    }

    [Fact]
    public async Task Admins_read_the_log_with_filters_and_paging_and_analysts_get_403()
    {
        await using var app = new AdminFactory();
        await app.WithDbAsync(async db =>
        {
            for (var i = 0; i < 60; i++)
                db.Add(new AuditEntry { At = PrivacyKit.Now.AddMinutes(-i), Actor = i % 2 == 0 ? "a@example.com" : "api-token:x", Action = i < 55 ? "contact.export" : "rule.change", Target = $"contact:{i}" });
            await db.SaveChangesAsync();
        });
        await app.CreateUserAsync("analyst@example.com", "analyst password 1", AuthPolicies.AnalystRole);
        using var analyst = await app.SignedInClientAsync("analyst@example.com", "analyst password 1");
        using var admin = await app.AdminClientAsync();

        Assert.Equal(HttpStatusCode.Forbidden, (await analyst.GetAsync("/api/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await analyst.GetAsync("/admin/audit")).StatusCode);

        var first = await admin.GetFromJsonAsync<AuditPage>("/api/audit?actor=a@example.com&action=contact.export");
        Assert.Equal(28, first!.Items.Count);
        Assert.All(first.Items, e => Assert.Equal("a@example.com", e.Actor));
        Assert.False(first.HasMore);
        var all = await admin.GetFromJsonAsync<AuditPage>("/api/audit?action=contact.*");
        Assert.Equal(AuditQuery.PageSize, all!.Items.Count);
        Assert.True(all.HasMore);
        Assert.Equal("contact:0", all.Items[0].Target);
        var second = await admin.GetFromJsonAsync<AuditPage>("/api/audit?action=contact.*&page=2");
        Assert.Equal(5, second!.Items.Count);
        var since = PrivacyKit.Now.AddMinutes(-3).ToString("O");
        var recent = await admin.GetFromJsonAsync<AuditPage>($"/api/audit?since={Uri.EscapeDataString(since)}&action=contact.export");
        Assert.Equal(4, recent!.Items.Count);

        foreach (var bad in new[] { "since=yesterday-ish", "page=0", "page=abc", "action=" + new string('x', 65) })
        {
            var response = await admin.GetAsync("/api/audit?" + bad);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        var html = await admin.GetStringAsync("/admin/audit?action=rule.change");
        Assert.Contains("contact:55", html);
        Assert.DoesNotContain("contact:54", html);
        var paged = await admin.GetStringAsync("/admin/audit?action=contact.*&p=2");
        Assert.Contains("contact:54", paged);
        Assert.DoesNotContain(">contact:0<", paged);
        var badPage = await admin.GetAsync("/admin/audit?since=nonsense");
        Assert.Equal(HttpStatusCode.BadRequest, badPage.StatusCode);
        Assert.Contains("since", await badPage.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Rows_cannot_be_changed_or_deleted_through_the_app_or_its_database_context()
    {
        await using var app = new AdminFactory();
        var alice = await PrivacyKit.SeedAsync(app, "+4915100000103", "Alice Kept", events: 1);
        using var api = PrivacyKit.ApiClient(app);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/api/contacts/{alice.Id}/export")).StatusCode);
        var row = Assert.Single(await RowsAsync(app, AuditActions.ContactExport));

        foreach (var method in new[] { HttpMethod.Put, HttpMethod.Patch, HttpMethod.Delete, HttpMethod.Post })
        {
            using var request = new HttpRequestMessage(method, "/api/audit") { Content = JsonContent.Create(new { id = row.Id }) };
            Assert.Equal(HttpStatusCode.MethodNotAllowed, (await api.SendAsync(request)).StatusCode);
            using var one = new HttpRequestMessage(method, $"/api/audit/{row.Id}");
            Assert.Contains((await api.SendAsync(one)).StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed });
        }
        // Even code holding the app's own DbContext is refused by the database's triggers.
        await Assert.ThrowsAnyAsync<Exception>(() => app.WithDbAsync(db =>
            db.Set<AuditEntry>().ExecuteUpdateAsync(s => s.SetProperty(e => e.Actor, "someone else"))));
        await Assert.ThrowsAnyAsync<Exception>(() => app.WithDbAsync(db => db.Set<AuditEntry>().ExecuteDeleteAsync()));
        await Assert.ThrowsAnyAsync<Exception>(() => app.WithDbAsync(async db =>
        {
            var tracked = await db.Set<AuditEntry>().SingleAsync(e => e.Id == row.Id);
            db.Remove(tracked);
            await db.SaveChangesAsync();
        }));

        var after = Assert.Single(await RowsAsync(app, AuditActions.ContactExport));
        Assert.Equal((row.Actor, row.Target, row.At), (after.Actor, after.Target, after.At));
    }

    [Fact]
    public async Task Creating_a_user_changing_their_role_and_disabling_them_write_one_row_each()
    {
        await using var app = new AdminFactory();
        using var admin = await app.AdminClientAsync();
        async Task<HttpResponseMessage> PostAsync(string handler, Dictionary<string, string> form)
        {
            form["__RequestVerificationToken"] = await AdminFactory.AntiforgeryTokenAsync(admin, "/admin/users");
            return await admin.PostAsync("/admin/users?handler=" + handler, new FormUrlEncodedContent(form));
        }

        Assert.Equal(HttpStatusCode.Redirect, (await PostAsync("Create", new() { ["NewUser.Email"] = "staff@example.com", ["NewUser.Role"] = AuthPolicies.AdminRole, ["NewUser.Password"] = "staff password 123" })).StatusCode);
        var id = await app.WithDbAsync(db => db.Users.Where(u => u.Email == "staff@example.com").Select(u => u.Id).SingleAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await PostAsync($"SetRole&id={id}", new() { ["role"] = AuthPolicies.AnalystRole })).StatusCode);
        // Already Analyst: nothing changes, nothing is recorded.
        Assert.Equal(HttpStatusCode.Redirect, (await PostAsync($"SetRole&id={id}", new() { ["role"] = AuthPolicies.AnalystRole })).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await PostAsync($"Disable&id={id}", new())).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await PostAsync($"Enable&id={id}", new())).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await PostAsync($"ResetPassword&id={id}", new() { ["newPassword"] = "another staff password 9" })).StatusCode);

        foreach (var action in new[] { AuditActions.UserCreate, AuditActions.UserRoleChange, AuditActions.UserDisable, AuditActions.UserEnable, AuditActions.UserPasswordReset })
        {
            var row = Assert.Single(await RowsAsync(app, action));
            Assert.Equal((AdminFactory.AdminEmail, $"user:{id}"), (row.Actor, row.Target));
        }
        using var role = JsonDocument.Parse(Assert.Single(await RowsAsync(app, AuditActions.UserRoleChange)).Details!);
        Assert.Equal(AuthPolicies.AdminRole, Assert.Single(role.RootElement.GetProperty("before").EnumerateArray()).GetString());
        Assert.Equal(AuthPolicies.AnalystRole, role.RootElement.GetProperty("after").GetString());
        Assert.DoesNotContain("password 9", string.Concat((await app.WithDbAsync(db => db.Set<AuditEntry>().Select(e => e.Details).ToListAsync()))));
        Assert.DoesNotContain("staff password", string.Concat((await app.WithDbAsync(db => db.Set<AuditEntry>().Select(e => e.Details).ToListAsync()))));
    }

    [Fact]
    public async Task Contact_create_and_edit_through_the_api_are_recorded_without_the_persons_data_and_a_repeat_is_not()
    {
        await using var app = new AdminFactory();
        using var api = PrivacyKit.ApiClient(app);

        var created = await api.PostAsJsonAsync("/api/contacts/init", new { phone = "+4915100000104", name = "Zoë Audit", optIn = true });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsJsonAsync("/api/contacts/init", new { phone = "+4915100000104", name = "Zoë Audit", optIn = true })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsJsonAsync("/api/contacts/init", new { phone = "+4915100000104", name = "Zoë Renamed" })).StatusCode);

        var rows = (await RowsAsync(app, AuditActions.ContactEdit)).OrderBy(r => r.Id).ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal("api-token:configuration", r.Actor));
        var id = await app.WithDbAsync(db => db.Contacts.Select(c => c.Id).SingleAsync());
        Assert.All(rows, r => Assert.Equal($"contact:{id}", r.Target));
        Assert.Contains("\"created\":true", rows[0].Details);
        Assert.Contains("\"nameChanged\":true", rows[1].Details);
        Assert.All(rows, r => Assert.DoesNotContain("Zo", r.Details));
        Assert.All(rows, r => Assert.DoesNotContain("4915100000104", r.Details));
    }

    private static async Task<string> CreateTokenAsync(HttpClient admin, string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/admin/api-tokens") { Content = JsonContent.Create(new { name }) };
        request.Headers.Add("RequestVerificationToken", await AdminFactory.AntiforgeryTokenAsync(admin, "/admin/api-tokens"));
        var created = await admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<CreatedApiTokenResponse>())!.Token;
    }
}
