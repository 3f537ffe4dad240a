using System.Net;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Infrastructure;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Brain;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Crm;

/// <summary>Outbox retry/cancel, Send Link, the link generator, the rules page and the jobs dashboard, through the real pages.</summary>
public sealed class AdminCrmPagesTests : IAsyncLifetime
{
    private readonly CrmKit _kit = new();
    private HttpClient _admin = null!;

    public async Task InitializeAsync() => _admin = await _kit.AdminAsync();
    public async Task DisposeAsync() => await _kit.DisposeAsync();

    [Fact]
    public async Task Outbox_retries_dead_and_failed_nudges_and_cancels_waiting_ones()
    {
        var b = _kit.Brain;
        var ann = await b.ContactAsync();
        var dead = await _kit.NudgeAsync(ann.Id, NudgeStatuses.Dead, b.Now, attempts: 5, lastError: "HTTP 500 from the bot");
        var queued = await _kit.NudgeAsync(ann.Id, NudgeStatuses.Queued, b.Now.AddHours(3));

        var page = await _admin.GetStringAsync("/admin/outbox?status=dead");
        Assert.Contains("HTTP 500 from the bot", page);
        Assert.DoesNotContain($"data-nudge-id=\"{queued}\"", page);

        var retry = await CrmKit.PostFormAsync(_admin, "/admin/outbox", $"/admin/outbox?handler=Retry&id={dead}", []);
        Assert.Equal(HttpStatusCode.Redirect, retry.StatusCode);
        var retried = await _kit.NudgeByIdAsync(dead);
        Assert.Equal(NudgeStatuses.Queued, retried.Status);
        Assert.Equal(0, retried.Attempts);
        Assert.Equal(b.Now, retried.SendAfter);

        Assert.Equal(HttpStatusCode.Redirect, (await CrmKit.PostFormAsync(_admin, "/admin/outbox", $"/admin/outbox?handler=Cancel&id={queued}", [])).StatusCode);
        Assert.Equal(NudgeStatuses.Cancelled, (await _kit.NudgeByIdAsync(queued)).Status);
        // Cancelled is final: a retry does not revive it.
        await CrmKit.PostFormAsync(_admin, "/admin/outbox", $"/admin/outbox?handler=Retry&id={queued}", []);
        Assert.Equal(NudgeStatuses.Cancelled, (await _kit.NudgeByIdAsync(queued)).Status);

        Assert.Equal(1, await b.DispatchAsync());
        Assert.Equal(NudgeStatuses.Sent, (await _kit.NudgeByIdAsync(dead)).Status);
    }

    [Fact]
    public async Task Retry_is_refused_for_a_contact_who_opted_out()
    {
        var kim = await _kit.Brain.ContactAsync(optedOut: true);
        var dead = await _kit.NudgeAsync(kim.Id, NudgeStatuses.Dead, _kit.Brain.Now, attempts: 5);
        var response = await CrmKit.PostFormAsync(_admin, "/admin/outbox", $"/admin/outbox?handler=Retry&id={dead}", []);
        var page = await _admin.GetStringAsync(response.Headers.Location!.OriginalString);
        Assert.Contains("opted out", page);
        Assert.Equal(NudgeStatuses.Dead, (await _kit.NudgeByIdAsync(dead)).Status);
    }

    [Fact]
    public async Task Send_Link_marks_the_pending_nudge_sent_and_offers_its_wa_me_link_but_never_for_an_opted_out_contact()
    {
        var b = _kit.Brain;
        var ann = await b.ContactAsync("+4915112345678", "Ann");
        var nudge = await _kit.NudgeAsync(ann.Id, NudgeStatuses.Queued, b.Now);
        var page = $"/admin/contacts/{ann.Id}";
        var response = await CrmKit.PostFormAsync(_admin, page, $"{page}?handler=WaMe", [new("nudgeId", nudge.ToString())]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        Assert.Equal("https://wa.me/4915112345678?text=Hi", doc.QuerySelector("#wa-me-link")!.GetAttribute("href"));
        var sent = await _kit.NudgeByIdAsync(nudge);
        Assert.Equal(NudgeStatuses.Sent, sent.Status);
        Assert.Equal(b.Now, sent.SentAt);

        var dee = await b.ContactAsync("+4915112345679", "Dee", optedOut: true);
        var blocked = await _kit.NudgeAsync(dee.Id, NudgeStatuses.Queued, b.Now);
        page = $"/admin/contacts/{dee.Id}";
        var refused = await CrmKit.PostFormAsync(_admin, page, $"{page}?handler=WaMe", [new("nudgeId", blocked.ToString())]);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("opted out of WhatsApp messages", CrmKit.Html(await refused.Content.ReadAsStringAsync()));
        Assert.Equal(NudgeStatuses.Queued, (await _kit.NudgeByIdAsync(blocked)).Status);
        var queue = await CrmKit.PostFormAsync(_admin, page, $"{page}?handler=Queue", [new("nudgeId", blocked.ToString())]);
        Assert.Equal(HttpStatusCode.Conflict, queue.StatusCode);

        // Another contact's nudge cannot be sent from this contact's page.
        var other = await _kit.NudgeAsync(ann.Id, NudgeStatuses.Queued, b.Now);
        var foreign = await CrmKit.PostFormAsync(_admin, page, $"{page}?handler=WaMe", [new("nudgeId", other.ToString())]);
        Assert.Equal(HttpStatusCode.Conflict, foreign.StatusCode);
        Assert.Equal(NudgeStatuses.Queued, (await _kit.NudgeByIdAsync(other)).Status);
    }

    [Fact]
    public async Task Send_Link_respects_the_cap_and_queue_hands_the_nudge_to_the_dispatcher()
    {
        var b = _kit.Brain;
        var ann = await b.ContactAsync();
        await _kit.NudgeAsync(ann.Id, NudgeStatuses.Sent, b.Now.AddHours(-1), sentAt: b.Now.AddHours(-1));
        var deferred = await _kit.NudgeAsync(ann.Id, NudgeStatuses.Deferred, b.Now.AddHours(23));
        var page = $"/admin/contacts/{ann.Id}";
        var capped = await CrmKit.PostFormAsync(_admin, page, $"{page}?handler=WaMe", [new("nudgeId", deferred.ToString())]);
        Assert.Equal(HttpStatusCode.Conflict, capped.StatusCode);
        Assert.Contains("maximum number of messages", CrmKit.Html(await capped.Content.ReadAsStringAsync()));

        var queued = await CrmKit.PostFormAsync(_admin, page, $"{page}?handler=Queue", [new("nudgeId", deferred.ToString())]);
        Assert.Equal(HttpStatusCode.OK, queued.StatusCode);
        var row = await _kit.NudgeByIdAsync(deferred);
        Assert.Equal(NudgeStatuses.Queued, row.Status);
        Assert.Equal(b.Now, row.SendAfter);
        // The dispatcher applies the cap again and defers it: the admin cannot bypass the guard this way either.
        Assert.Equal(0, await b.DispatchAsync());
        Assert.Equal(NudgeStatuses.Deferred, (await _kit.NudgeByIdAsync(deferred)).Status);
    }

    [Fact]
    public async Task The_contact_page_shows_timeline_scores_and_nudges_and_unknown_ids_are_404()
    {
        var b = _kit.Brain;
        var ann = await b.ContactAsync(name: "Ann");
        var visitor = await b.VisitorAsync(ann.Id);
        await b.EventAsync(visitor, EventTypes.LingerSpecs, BrainKit.Featured);
        await b.ProjectAsync();
        var html = await _admin.GetStringAsync($"/admin/contacts/{ann.Id}");
        Assert.Contains("linger_specs", html);
        Assert.Contains("Lenovo LOQ 15 Gaming Laptop", html);
        Assert.Contains("Gaming", html);
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync("/admin/contacts/99999")).StatusCode);
    }

    [Fact]
    public async Task The_link_generator_creates_the_contact_with_the_same_service_as_the_api_and_explains_bad_phones()
    {
        var response = await CrmKit.PostFormAsync(_admin, "/admin/links", "/admin/links",
            [new("Phone", "0049 151 1234 5678"), new("Name", "Amina"), new("OptIn", "true")]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var url = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync()).QuerySelector("#tracked-url")!.GetAttribute("value")!;
        var contact = await _kit.App.WithDbAsync(db => db.Contacts.AsNoTracking().SingleAsync());
        Assert.Equal("+4915112345678", contact.Phone);
        Assert.True(contact.OptedIn);
        Assert.Equal("admin", contact.OptInSource);
        Assert.EndsWith("/?ht=" + contact.LinkToken, url);

        // The API answers with the same contact and link.
        var api = await _kit.Api.PostAsync("/api/contacts/init", new StringContent("""{"phone":"+4915112345678"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.Contains(contact.LinkToken, await api.Content.ReadAsStringAsync());

        foreach (var bad in new[] { "", "12345", "+49 abc", "0151 12345678", new string('9', 40) })
        {
            var invalid = await CrmKit.PostFormAsync(_admin, "/admin/links", "/admin/links", [new("Phone", bad), new("Name", "X")]);
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
            Assert.Contains("not a valid phone number", CrmKit.Html(await invalid.Content.ReadAsStringAsync()));
        }
        Assert.Equal(1, await _kit.App.WithDbAsync(db => db.Contacts.CountAsync()));
    }

    [Fact]
    public async Task Rules_edits_are_validated_with_clear_messages_and_apply_to_the_next_evaluation_without_restart()
    {
        var fields = await CrmKit.FormFieldsAsync(_admin, "/admin/rules", "form.rules-form");
        List<KeyValuePair<string, string>> With(params (string Key, string Value)[] changes) =>
            fields.Select(f => changes.FirstOrDefault(c => c.Key == f.Key) is { Key: not null } c ? new KeyValuePair<string, string>(f.Key, c.Value) : f).ToList();

        var invalid = await CrmKit.PostFormAsync(_admin, "/admin/rules", "/admin/rules",
            With(("Settings.Guards.QuietHoursStart", "25:00"), ("Settings.InterestDiscount.Percent", "0"), ("Settings.Vip.Template", "no link here")));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var text = CrmKit.Html(await invalid.Content.ReadAsStringAsync());
        Assert.Contains("Guards › Quiet Hours Start: Use 24-hour HH:mm, e.g. 21:00.", text);
        Assert.Contains("Interest Discount › Percent: Must be between 1 and 100.", text);
        Assert.Contains("Vip › Template: The template must contain {link}.", text);

        var notANumber = await CrmKit.PostFormAsync(_admin, "/admin/rules", "/admin/rules", With(("Settings.Scoring.HalfLifeDays", "soon")));
        Assert.Equal(HttpStatusCode.BadRequest, notANumber.StatusCode);

        var saved = await CrmKit.PostFormAsync(_admin, "/admin/rules", "/admin/rules",
            With(("Settings.InterestDiscount.Threshold", "10"), ("Settings.Scoring.Weights[linger_specs]", "12"), ("Settings.Guards.QuietHoursEnd", "08:30")));
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var settings = await _kit.App.WithDbAsync(db => new RuleSettingsService(db, _kit.App.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>(), _kit.App.Clock).GetAsync());
        Assert.Equal(10, settings.InterestDiscount.Threshold);
        Assert.Equal(12, settings.Scoring.Weights[EventTypes.LingerSpecs]);
        Assert.Equal("08:30", settings.Guards.QuietHoursEnd);
        Assert.Equal(5, settings.Scoring.Weights[EventTypes.ProductView]);
        Assert.True(settings.CartRescue.Enabled);

        // The running app uses the new threshold at once: 12 points now cross 10 and queue an interest discount.
        var b = _kit.Brain;
        var ann = await b.ContactAsync();
        var visitor = await b.VisitorAsync(ann.Id);
        await b.EventAsync(visitor, EventTypes.LingerSpecs, BrainKit.Featured);
        await b.ProjectAsync();
        Assert.Contains(await b.NudgesAsync(ann.Id), n => n.Kind == NudgeKinds.InterestDiscount);
    }

    [Fact]
    public async Task The_jobs_dashboard_is_for_admins_only_and_relaxes_only_its_own_style_policy()
    {
        var anonymous = await _kit.App.NewClient().GetAsync("/admin/jobs");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Equal("/admin/login", anonymous.Headers.Location!.AbsolutePath.ToLowerInvariant());

        await _kit.App.CreateUserAsync("analyst@example.com", "analyst password 1", AuthPolicies.AnalystRole);
        var analyst = await _kit.App.SignedInClientAsync("analyst@example.com", "analyst password 1");
        Assert.Equal(HttpStatusCode.Forbidden, (await analyst.GetAsync("/admin/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await analyst.GetAsync("/admin/jobs/recurring")).StatusCode);

        var dashboard = await _admin.GetAsync("/admin/jobs/recurring");
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        var dash = await dashboard.Content.ReadAsStringAsync();
        Assert.Contains(OutboxDispatchJob.Id, dash);
        var csp = dashboard.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("style-src 'self' 'unsafe-inline'", csp);
        Assert.Contains("script-src 'self';", csp);
        var strict = (await _admin.GetAsync("/admin/contacts")).Headers.GetValues("Content-Security-Policy").Single();
        Assert.Equal(SecurityHeaders.ContentSecurityPolicy, strict);
    }
}
