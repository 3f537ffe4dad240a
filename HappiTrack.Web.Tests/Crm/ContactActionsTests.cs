using System.Net;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Features.Audit;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Tests.Admin;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Crm;

/// <summary>The contact page's staff actions, through the page with its antiforgery token, each checked in the database and the audit log.</summary>
public sealed class ContactActionsTests : IAsyncLifetime
{
    private readonly CrmKit _kit = new();
    private HttpClient _admin = null!;
    private Contact _ann = null!, _eve = null!;
    private int _annNudge;

    public async Task InitializeAsync()
    {
        _ann = await _kit.Brain.ContactAsync("+4915100000011", "Ann");
        _eve = await _kit.Brain.ContactAsync("+4915100000012", "Eve", optedIn: false);
        _annNudge = await _kit.NudgeAsync(_ann.Id, NudgeStatuses.Queued, _kit.Brain.Now.AddHours(1));
        _admin = await _kit.AdminAsync();
    }

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    private static KeyValuePair<string, string> F(string key, string value) => new(key, value);

    private Task<HttpResponseMessage> PostAsync(int id, string handler, params KeyValuePair<string, string>[] fields) =>
        CrmKit.PostFormAsync(_admin, $"/admin/contacts/{id}", $"/admin/contacts/{id}?handler={handler}", fields);

    private Task<Contact> ContactAsync(int id) => _kit.App.WithDbAsync(db => db.Contacts.AsNoTracking().Include(c => c.ConsentHistory).SingleAsync(c => c.Id == id));

    private Task<List<AuditEntry>> AuditAsync(string action) =>
        _kit.App.WithDbAsync(db => db.Set<AuditEntry>().AsNoTracking().Where(e => e.Action == action).OrderBy(e => e.Id).ToListAsync());

    private static void AssertNoPersonalData(AuditEntry entry, params string[] secrets)
    {
        Assert.Equal(AdminFactory.AdminEmail, entry.Actor);
        foreach (var secret in secrets) Assert.DoesNotContain(secret, entry.Details ?? "", StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Renaming_saves_the_name_and_audits_who_without_the_name()
    {
        var response = await PostAsync(_ann.Id, "Rename", F("name", "  Ann Smith "));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Ann Smith", (await ContactAsync(_ann.Id)).Name);
        var row = Assert.Single(await AuditAsync(AuditActions.ContactEdit));
        Assert.Equal($"contact:{_ann.Id}", row.Target);
        AssertNoPersonalData(row, "Ann", "Smith", _ann.Phone);

        var tooLong = await PostAsync(_ann.Id, "Rename", F("name", new string('x', 101)));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("at most 100 characters", CrmKit.Html(await tooLong.Content.ReadAsStringAsync()));
        Assert.Equal("Ann Smith", (await ContactAsync(_ann.Id)).Name);
        Assert.Equal(HttpStatusCode.NotFound, (await CrmKit.PostFormAsync(_admin, $"/admin/contacts/{_ann.Id}", "/admin/contacts/99999?handler=Rename", [F("name", "x")])).StatusCode);
    }

    [Fact]
    public async Task An_opt_out_on_the_persons_behalf_is_in_the_consent_history_cancels_waiting_messages_and_only_they_can_undo_it()
    {
        var response = await PostAsync(_ann.Id, "OptOut");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Contains("opted out", page.QuerySelector("h1 .badge.danger")!.TextContent);
        Assert.Contains(page.QuerySelectorAll("#consent-history li"), li => li.GetAttribute("data-source") == ConsentSources.Admin && li.TextContent.Contains("opted out"));
        var ann = await ContactAsync(_ann.Id);
        Assert.True(ann.OptedOut);
        Assert.Contains(ann.ConsentHistory, c => !c.OptedIn && c.Source == ConsentSources.Admin);
        var nudge = await _kit.NudgeByIdAsync(_annNudge);
        Assert.Equal((NudgeStatuses.Cancelled, GuardReasons.OptedOut), (nudge.Status, nudge.Reason));
        var row = Assert.Single(await AuditAsync(AuditActions.ContactOptOut));
        Assert.Equal($"contact:{_ann.Id}", row.Target);
        AssertNoPersonalData(row, "Ann", _ann.Phone);

        // Staff cannot undo it, not even by claiming the person's own channel as the source.
        foreach (var source in new[] { "admin:phone", ConsentSources.WhatsApp })
        {
            var refused = await PostAsync(_ann.Id, "OptIn", F("source", source));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }
        Assert.True((await ContactAsync(_ann.Id)).OptedOut);
        Assert.Empty(await AuditAsync(AuditActions.ContactOptIn));
    }

    [Fact]
    public async Task An_opt_in_needs_a_known_source_and_is_recorded_with_it()
    {
        var noSource = await PostAsync(_eve.Id, "OptIn", F("source", ""));
        Assert.Equal(HttpStatusCode.BadRequest, noSource.StatusCode);
        Assert.Contains("Say how the person gave their consent", CrmKit.Html(await noSource.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(_eve.Id, "OptIn", F("source", "checkout"))).StatusCode);
        Assert.False((await ContactAsync(_eve.Id)).OptedIn);

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(_eve.Id, "OptIn", F("source", "admin:phone"))).StatusCode);
        var eve = await ContactAsync(_eve.Id);
        Assert.True(eve.OptedIn);
        Assert.Equal("admin:phone", eve.OptInSource);
        Assert.Equal(_kit.Brain.Now, eve.OptedInAt);
        Assert.Contains(eve.ConsentHistory, c => c.OptedIn && c.Source == "admin:phone");
        var row = Assert.Single(await AuditAsync(AuditActions.ContactOptIn));
        Assert.Contains("admin:phone", row.Details);
        AssertNoPersonalData(row, "Eve", _eve.Phone);
    }

    [Fact]
    public async Task A_note_is_shown_with_its_author_and_audited_by_id_only()
    {
        var response = await PostAsync(_ann.Id, "Note", F("note", "Prefers messages after 18:00 <b>bold</b>"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<b>bold</b>", html);
        var note = new HtmlParser().ParseDocument(html).QuerySelector("#notes li[data-note-id]")!;
        Assert.Contains("Prefers messages after 18:00 <b>bold</b>", note.TextContent);
        Assert.Contains(AdminFactory.AdminEmail, note.TextContent);
        var stored = Assert.Single(await _kit.App.WithDbAsync(db => db.Set<ContactNote>().AsNoTracking().ToListAsync()));
        var row = Assert.Single(await AuditAsync(AuditActions.ContactNote));
        Assert.Contains(stored.Id.ToString(), row.Details);
        AssertNoPersonalData(row, "Prefers", "Ann");

        var empty = await PostAsync(_ann.Id, "Note", F("note", "   "));
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Single(await _kit.App.WithDbAsync(db => db.Set<ContactNote>().AsNoTracking().ToListAsync()));
    }
}
