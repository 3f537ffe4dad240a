using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Brain;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Crm;

/// <summary>
/// Campaign segments and guard counts on twelve hand-made contacts, through the real projector,
/// outbox and API. The expected numbers are worked out by hand from the table in <see cref="SeedAsync"/>.
/// </summary>
public sealed class CampaignTests : IAsyncLifetime
{
    private readonly CrmKit _kit = new();
    private readonly Dictionary<string, int> _ids = new();

    public async Task InitializeAsync()
    {
        await _kit.App.WithDbAsync(_ => Task.CompletedTask);
        await SeedAsync();
    }

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    /// <summary>
    /// name | consent        | VIP | activity (at 12:00 UTC)            | other nudges
    /// Ann  | in             |     | add_to_cart gaming laptop (50), cart left |
    /// Ben  | in             |     | product_view gaming laptop (5)     |
    /// Cai  | in             |     | product_view gaming laptop (5)     | one sent 2 h ago → capped
    /// Dee  | in, opted out  |     | add_to_cart gaming laptop (50), cart left |
    /// Eve  | none           |     | product_view gaming laptop (5)     |
    /// Fay  | in             | yes | add_to_cart non-gaming (50), cart left |
    /// Gus  | in             | yes | —                                  |
    /// Hal  | none           | yes | —                                  |
    /// Ivy  | in             |     | product_view non-gaming (5)        |
    /// Jon  | in             |     | —                                  | one queued for 13:00 → capped
    /// Kim  | in, opted out  |     | —                                  |
    /// Lea  | in             |     | —                                  |
    /// The clock then moves to 12:45, so the carts are idle past the 30 min rescue window.
    /// </summary>
    private async Task SeedAsync()
    {
        var b = _kit.Brain;
        var other = await _kit.NonGamingSlugAsync();
        var n = 0;
        async Task<int> Contact(string name, bool optedIn = true, bool optedOut = false, bool vip = false)
        {
            var c = await b.ContactAsync($"+49151000000{n++:00}", name, optedIn, optedOut);
            if (vip) await _kit.App.WithDbAsync(async db => await db.Contacts.Where(x => x.Id == c.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.VipStatus, true)));
            _ids[name] = c.Id;
            return c.Id;
        }
        async Task Visit(int contactId, string type, string slug)
        {
            var visitor = await b.VisitorAsync(contactId);
            if (type == EventTypes.AddToCart) await b.AddToCartAsync(visitor, slug);
            else await b.EventAsync(visitor, type, slug);
        }

        await Visit(await Contact("Ann"), EventTypes.AddToCart, BrainKit.Featured);
        await Visit(await Contact("Ben"), EventTypes.ProductView, BrainKit.Featured);
        await Visit(await Contact("Cai"), EventTypes.ProductView, BrainKit.Featured);
        await Visit(await Contact("Dee", optedOut: true), EventTypes.AddToCart, BrainKit.Featured);
        await Visit(await Contact("Eve", optedIn: false), EventTypes.ProductView, BrainKit.Featured);
        await Visit(await Contact("Fay", vip: true), EventTypes.AddToCart, other);
        await Contact("Gus", vip: true);
        await Contact("Hal", optedIn: false, vip: true);
        await Visit(await Contact("Ivy"), EventTypes.ProductView, other);
        await Contact("Jon");
        await Contact("Kim", optedOut: true);
        await Contact("Lea");
        await b.ProjectAsync();

        await _kit.NudgeAsync(_ids["Cai"], NudgeStatuses.Sent, b.Now.AddHours(-2), sentAt: b.Now.AddHours(-2));
        await _kit.NudgeAsync(_ids["Jon"], NudgeStatuses.Queued, b.Now.AddHours(1));
        _kit.App.Clock.Advance(TimeSpan.FromMinutes(45));
    }

    private async Task<JsonElement> BroadcastAsync(object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await _kit.Api.PostAsJsonAsync("/api/campaign/broadcast", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private static void AssertCounts(JsonElement r, int matched, int queued, int optedOut, int capped, int noOptIn, int deferred = 0)
    {
        Assert.Equal(matched, r.GetProperty("matched").GetInt32());
        Assert.Equal(queued, r.GetProperty("queued").GetInt32());
        Assert.Equal(deferred, r.GetProperty("deferred").GetInt32());
        var s = r.GetProperty("suppressed");
        Assert.Equal(optedOut, s.GetProperty("optedOut").GetInt32());
        Assert.Equal(capped, s.GetProperty("capped").GetInt32());
        Assert.Equal(noOptIn, s.GetProperty("noOptIn").GetInt32());
    }

    private Task<(int Campaigns, int Nudges)> CountsAsync() => _kit.App.WithDbAsync(async db =>
        (await db.Set<Campaign>().CountAsync(), await db.Set<Nudge>().CountAsync()));

    [Fact]
    public async Task Dry_runs_count_each_segment_exactly_and_write_nothing()
    {
        var before = await CountsAsync();

        var everyone = await BroadcastAsync(new { dryRun = true, segment = new { } });
        Assert.Equal(JsonValueKind.Null, everyone.GetProperty("campaignId").ValueKind);
        AssertCounts(everyone, matched: 12, queued: 6, optedOut: 2, capped: 2, noOptIn: 2);

        AssertCounts(await BroadcastAsync(new { dryRun = true, segment = new { tag = "gaming" } }), matched: 5, queued: 2, optedOut: 1, capped: 1, noOptIn: 1);
        AssertCounts(await BroadcastAsync(new { dryRun = true, segment = new { vip = true } }), matched: 3, queued: 2, optedOut: 0, capped: 0, noOptIn: 1);
        AssertCounts(await BroadcastAsync(new { dryRun = true, segment = new { minScore = 40 } }), matched: 3, queued: 2, optedOut: 1, capped: 0, noOptIn: 0);
        AssertCounts(await BroadcastAsync(new { dryRun = true, segment = new { abandonedCart = true } }), matched: 3, queued: 2, optedOut: 1, capped: 0, noOptIn: 0);
        AssertCounts(await BroadcastAsync(new { dryRun = true, segment = new { seenWithinDays = 7 } }), matched: 7, queued: 4, optedOut: 1, capped: 1, noOptIn: 1);
        AssertCounts(await BroadcastAsync(new { dryRun = true, segment = new { tag = "gaming", minScore = 40, abandonedCart = true } }), matched: 2, queued: 1, optedOut: 1, capped: 0, noOptIn: 0);
        AssertCounts(await BroadcastAsync(new { dryRun = true, segment = new { vip = false, minScore = 1 } }), matched: 6, queued: 3, optedOut: 1, capped: 1, noOptIn: 1);

        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task Quiet_hours_defer_rather_than_drop()
    {
        _kit.App.Clock.Advance(TimeSpan.FromHours(10)); // 22:45 UTC, inside 21:00–09:00
        var r = await BroadcastAsync(new { dryRun = true, segment = new { tag = "gaming" } });
        AssertCounts(r, matched: 5, queued: 2, optedOut: 1, capped: 1, noOptIn: 1, deferred: 2);
    }

    [Fact]
    public async Task Sending_writes_the_campaign_and_one_nudge_per_recipient_as_previewed_and_the_log_follows_it()
    {
        var preview = await BroadcastAsync(new { dryRun = true, segment = new { tag = "gaming" } });
        var sent = await BroadcastAsync(new { name = "Gaming week", message = "Hi {name}, {product} is waiting: {link}", segment = new { tag = "gaming" }, dryRun = false, confirm = 2 });
        var campaignId = sent.GetProperty("campaignId").GetInt32();
        AssertCounts(sent, matched: 5, queued: 2, optedOut: 1, capped: 1, noOptIn: 1);
        Assert.Equal(preview.GetProperty("queued").GetInt32(), sent.GetProperty("queued").GetInt32());

        var nudges = await _kit.App.WithDbAsync(db => db.Set<Nudge>().AsNoTracking().Where(n => n.CampaignId == campaignId).OrderBy(n => n.ContactId).ToListAsync());
        Assert.Equal(5, nudges.Count);
        Assert.All(nudges, n => Assert.Equal(NudgeKinds.Campaign, n.Kind));
        Assert.All(nudges, n => Assert.Equal($"campaign:{campaignId}:{n.ContactId}", n.DedupKey));
        var ann = nudges.Single(n => n.ContactId == _ids["Ann"]);
        Assert.Equal(NudgeStatuses.Queued, ann.Status);
        Assert.StartsWith("Hi Ann, Lenovo LOQ 15 Gaming Laptop is waiting: http", ann.Message);
        Assert.EndsWith("/r/" + ann.Code, ann.Message);
        Assert.Equal(NudgeStatuses.Suppressed, nudges.Single(n => n.ContactId == _ids["Cai"]).Status);
        Assert.Equal(GuardReasons.OptedOut, nudges.Single(n => n.ContactId == _ids["Dee"]).Reason);

        // The campaign's own nudges now count against the cap for the next one.
        AssertCounts(await BroadcastAsync(new { dryRun = true, segment = new { tag = "gaming" } }), matched: 5, queued: 0, optedOut: 1, capped: 3, noOptIn: 1);

        Assert.Equal(2, await _kit.Brain.DispatchAsync());
        var log = JsonDocument.Parse(await _kit.Api.GetStringAsync($"/api/campaign/logs?campaignId={campaignId}")).RootElement;
        var statuses = log.GetProperty("messages").EnumerateArray()
            .ToDictionary(m => m.GetProperty("contactId").GetInt32(), m => m.GetProperty("status").GetString());
        Assert.Equal("sent", statuses[_ids["Ann"]]);
        Assert.Equal("sent", statuses[_ids["Ben"]]);
        Assert.Equal("suppressed", statuses[_ids["Cai"]]);
        Assert.Equal("suppressed", statuses[_ids["Dee"]]);
        Assert.Equal("suppressed", statuses[_ids["Eve"]]);
        Assert.All(log.GetProperty("messages").EnumerateArray().Where(m => m.GetProperty("status").GetString() == "sent"),
            m => Assert.NotEqual(JsonValueKind.Null, m.GetProperty("sentAt").ValueKind));

        // A click on the tracked link shows up in the log as "clicked".
        var browser = _kit.App.NewClient();
        browser.DefaultRequestHeaders.UserAgent.ParseAdd(Tracking.TrackingHttp.BrowserUserAgent); // a preview fetcher would not count
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync($"/r/{ann.Code}")).StatusCode);
        log = JsonDocument.Parse(await _kit.Api.GetStringAsync($"/api/campaign/logs?campaignId={campaignId}")).RootElement;
        Assert.Contains(log.GetProperty("messages").EnumerateArray(), m => m.GetProperty("contactId").GetInt32() == _ids["Ann"] && m.GetProperty("status").GetString() == "clicked");
    }

    [Theory]
    [InlineData("""{"name":"x","message":"hi","segment":{"tag":"no-such-tag"}}""", "segment.tag")]
    [InlineData("""{"name":"x","message":"hi","segment":{"minScore":-1}}""", "segment.minScore")]
    [InlineData("""{"name":"x","message":"hi","segment":{"seenWithinDays":-3}}""", "segment.seenWithinDays")]
    [InlineData("""{"name":"x","message":"hi","segment":{"seenWithinDays":1.5}}""", "segment.seenWithinDays")]
    [InlineData("""{"name":"x","message":"hi","segment":{"vip":"yes"}}""", "segment.vip")]
    [InlineData("""{"name":"x","message":"","segment":{}}""", "message")]
    [InlineData("""{"name":"","message":"hi {link}","segment":{}}""", "name")]
    [InlineData("""{"name":"x","message":"hi","dryRun":"no"}""", "dryRun")]
    [InlineData("""[1,2]""", "body")]
    [InlineData("""not json""", "body")]
    public async Task Bad_broadcasts_are_400_problems_naming_the_field_and_write_nothing(string body, string field)
    {
        var before = await CountsAsync();
        var response = await _kit.Api.PostAsync("/api/campaign/broadcast", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task Logs_of_unknown_or_malformed_campaigns_are_problems()
    {
        var unknown = await _kit.Api.GetAsync("/api/campaign/logs?campaignId=999");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        var bad = await _kit.Api.GetAsync("/api/campaign/logs?campaignId=abc");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("campaignId", await bad.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_campaign_page_previews_beside_a_blast_and_sends_to_the_log_page()
    {
        var admin = await _kit.AdminAsync();
        var preview = await CrmKit.PostFormAsync(admin, "/admin/campaigns", "/admin/campaigns?handler=Preview",
            [new("Name", ""), new("Message", "Hi {name} {link}"), new("Tag", "gaming")]);
        Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
        var doc = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await preview.Content.ReadAsStringAsync());
        Assert.Equal("12", doc.QuerySelector("#preview-blast")!.TextContent.Trim());
        Assert.Equal("5", doc.QuerySelector("#preview-matched")!.TextContent.Trim());
        Assert.Equal("2", doc.QuerySelector("#preview-queued")!.TextContent.Trim());
        Assert.Equal("1", doc.QuerySelector("#preview-capped")!.TextContent.Trim());

        var invalid = await CrmKit.PostFormAsync(admin, "/admin/campaigns", "/admin/campaigns?handler=Send",
            [new("Name", "Oops"), new("Message", ""), new("MinScore", "-5")]);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var errors = CrmKit.Html(await invalid.Content.ReadAsStringAsync());
        Assert.Contains("Write the message to send.", errors);
        Assert.Contains("The minimum score must be a number between 0 and 1000000.", errors);

        var form = await CrmKit.PreviewFormAsync(admin, [new("Name", "VIP thanks"), new("Message", "Thanks {name}! {link}"), new("Vip", "true")]);
        var send = await admin.PostAsync("/admin/campaigns?handler=Send", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.Redirect, send.StatusCode);
        var logPage = await admin.GetStringAsync(send.Headers.Location!.OriginalString);
        Assert.Contains("VIP thanks", logPage);
        Assert.Equal(3, new AngleSharp.Html.Parser.HtmlParser().ParseDocument(logPage).QuerySelectorAll("#campaign-log tbody tr[data-nudge-id]").Length);
    }


    [Fact]
    public async Task The_page_shows_three_real_messages_and_a_button_with_the_number_and_refuses_a_send_without_a_current_preview()
    {
        var admin = await _kit.AdminAsync();
        var before = await CountsAsync();
        var form = await CrmKit.PreviewFormAsync(admin, [new("Name", "Everyone"), new("Message", "Hi {name}, see {product}: {link}")]);
        var page = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await (await admin.PostAsync("/admin/campaigns?handler=Preview", new FormUrlEncodedContent(form))).Content.ReadAsStringAsync());
        Assert.Equal("Send to 6 contacts", page.QuerySelector("#confirm-send")!.TextContent.Trim());
        var samples = page.QuerySelectorAll("#preview-samples li");
        Assert.Equal(3, samples.Length);
        Assert.Equal(["Ann", "Ben", "Fay"], samples.Select(li => li.QuerySelector("strong")!.TextContent.Replace("To ", "")).ToArray());
        Assert.StartsWith("Hi Ann, see Lenovo LOQ 15 Gaming Laptop: http", samples[0].QuerySelector("blockquote")!.TextContent);
        var compose = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await admin.GetStringAsync("/admin/campaigns"));
        Assert.Empty(compose.QuerySelectorAll("button[formaction*='handler=Send']"));
        Assert.Single(page.QuerySelectorAll("button[formaction*='handler=Send']"));

        // The compose form alone has no send button: posting Send without the preview's fields is refused.
        var blind = await CrmKit.PostFormAsync(admin, "/admin/campaigns", "/admin/campaigns?handler=Send",
            [new("Name", "Everyone"), new("Message", "Hi {name}, see {product}: {link}")]);
        Assert.Equal(HttpStatusCode.Conflict, blind.StatusCode);
        Assert.Contains("Preview the campaign first", CrmKit.Html(await blind.Content.ReadAsStringAsync()));

        // The message edited after the preview: refused, and a fresh preview of the new message is shown.
        var edited = await admin.PostAsync("/admin/campaigns?handler=Send", new FormUrlEncodedContent(CrmKit.With(form, "Message", "Last chance {name}! {link}")));
        Assert.Equal(HttpStatusCode.Conflict, edited.StatusCode);
        var refused = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await edited.Content.ReadAsStringAsync());
        Assert.Contains("changed after the preview", refused.QuerySelector("#send-refused")!.TextContent);
        Assert.StartsWith("Last chance Ann!", refused.QuerySelector("#preview-samples blockquote")!.TextContent);

        // The segment edited after the preview.
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync("/admin/campaigns?handler=Send", new FormUrlEncodedContent(CrmKit.With(form, "Vip", "true")))).StatusCode);

        // A preview older than 15 minutes.
        _kit.App.Clock.Advance(TimeSpan.FromMinutes(16));
        var late = await admin.PostAsync("/admin/campaigns?handler=Send", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Contains("older than 15 minutes", CrmKit.Html(await late.Content.ReadAsStringAsync()));
        Assert.Equal(before, await CountsAsync());

        // A fresh preview whose reach changes before the click (Eve opts in): refused with the new number.
        form = await CrmKit.PreviewFormAsync(admin, [new("Name", "Everyone"), new("Message", "Hi {name}, see {product}: {link}")]);
        await _kit.App.WithDbAsync(db => db.Contacts.Where(c => c.Id == _ids["Eve"]).ExecuteUpdateAsync(s => s.SetProperty(c => c.OptedIn, true)));
        var grown = await admin.PostAsync("/admin/campaigns?handler=Send", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.Conflict, grown.StatusCode);
        var regrown = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await grown.Content.ReadAsStringAsync());
        Assert.Contains("now reach 7 contacts, not the 6", regrown.QuerySelector("#send-refused")!.TextContent);
        Assert.Equal("Send to 7 contacts", regrown.QuerySelector("#confirm-send")!.TextContent.Trim());
        Assert.Equal(before, await CountsAsync());

        var previews = await _kit.App.WithDbAsync(db => db.Set<HappiTrack.Web.Features.Audit.AuditEntry>().CountAsync(e => e.Action == HappiTrack.Web.Features.Shared.AuditActions.CampaignPreview));
        Assert.True(previews >= 3, $"{previews} preview audit rows");
    }

    [Fact]
    public async Task The_api_sends_only_with_a_current_preview_id_or_a_confirm_count_equal_to_the_reach()
    {
        var before = await CountsAsync();
        var body = new { name = "Gaming", message = "Hi {name}: {link}", segment = new { tag = "gaming" } };

        var missing = await _kit.Api.PostAsJsonAsync("/api/campaign/broadcast", body);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.True(JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("confirm", out _));

        var wrongCount = await _kit.Api.PostAsJsonAsync("/api/campaign/broadcast", new { body.name, body.message, body.segment, confirm = 5 });
        Assert.Equal(HttpStatusCode.Conflict, wrongCount.StatusCode);
        Assert.Equal("application/problem+json", wrongCount.Content.Headers.ContentType?.MediaType);
        Assert.Equal(2, JsonDocument.Parse(await wrongCount.Content.ReadAsStringAsync()).RootElement.GetProperty("reach").GetInt32());

        var dry = await BroadcastAsync(new { body.name, body.message, body.segment, dryRun = true });
        Assert.Equal(2, dry.GetProperty("reach").GetInt32());
        Assert.Equal(["Ann", "Ben"], dry.GetProperty("samples").EnumerateArray().Select(x => x.GetProperty("name").GetString()).ToArray());
        var previewId = dry.GetProperty("previewId").GetString();

        await BroadcastAsync(new { body.name, message = "Other {link}", body.segment, previewId }, HttpStatusCode.Conflict);
        await BroadcastAsync(new { body.name, body.message, segment = new { tag = "gaming", vip = true }, previewId }, HttpStatusCode.Conflict);
        await BroadcastAsync(new { body.name, body.message, body.segment, previewId = previewId![..^4] + "AAAA" }, HttpStatusCode.BadRequest);
        await BroadcastAsync(new { body.name, body.message, body.segment, previewId, confirm = 3 }, HttpStatusCode.Conflict);
        _kit.App.Clock.Advance(TimeSpan.FromMinutes(16));
        await BroadcastAsync(new { body.name, body.message, body.segment, previewId }, HttpStatusCode.Conflict);
        Assert.Equal(before, await CountsAsync());

        previewId = (await BroadcastAsync(new { body.name, body.message, body.segment, dryRun = true })).GetProperty("previewId").GetString();
        var sent = await BroadcastAsync(new { body.name, body.message, body.segment, previewId });
        Assert.Equal(2, sent.GetProperty("reach").GetInt32());
        Assert.Equal((before.Campaigns + 1, before.Nudges + 5), await CountsAsync());

        // The same preview cannot send twice: the first send's messages hold the cap, so the reach is 0 now.
        await BroadcastAsync(new { body.name, body.message, body.segment, previewId }, HttpStatusCode.Conflict);
        Assert.Equal(0, (await BroadcastAsync(new { body.name, body.message, body.segment, confirm = 0 }, HttpStatusCode.Conflict)).GetProperty("reach").GetInt32());
    }

    [Fact]
    public async Task The_log_pages_filters_by_status_in_words_and_the_list_counters_add_up()
    {
        for (var i = 0; i < 20; i++) await _kit.Brain.ContactAsync($"+4915120000{i:000}", $"Extra {i}");
        var sent = await BroadcastAsync(new { name = "Everyone", message = "Hi {name} {link}", segment = new { }, confirm = 26 });
        var id = sent.GetProperty("campaignId").GetInt32();
        var admin = await _kit.AdminAsync();
        var parser = new AngleSharp.Html.Parser.HtmlParser();
        AngleSharp.Html.Dom.IHtmlDocument Get(string html) => parser.ParseDocument(html);
        int Count(AngleSharp.Dom.IElement row, string name) => int.Parse(row.QuerySelector($"[data-count='{name}']")!.TextContent);
        async Task<AngleSharp.Dom.IElement> ListRow() => Get(await admin.GetStringAsync("/admin/campaigns")).QuerySelector($"#campaign-list tr[data-campaign-id='{id}']")!;
        var before = await ListRow();
        Assert.Equal((32, 6, 26, 0), (Count(before, "matched"), Count(before, "held-back"), Count(before, "waiting"), Count(before, "sent")));
        Assert.Equal(26, await _kit.Brain.DispatchAsync());

        var first = Get(await admin.GetStringAsync($"/admin/campaigns/{id}?size=25"));
        Assert.Equal(25, first.QuerySelectorAll("#campaign-log tbody tr[data-nudge-id]").Length);
        Assert.Contains("32 messages", first.QuerySelector("#log-count")!.TextContent);
        var second = Get(await admin.GetStringAsync(first.QuerySelector("#log-next")!.GetAttribute("href")!));
        Assert.Equal(7, second.QuerySelectorAll("#campaign-log tbody tr[data-nudge-id]").Length);
        Assert.Null(second.QuerySelector("#log-next"));
        Assert.Equal(32, Get(await admin.GetStringAsync($"/admin/campaigns/{id}?size=100")).QuerySelectorAll("#campaign-log tbody tr[data-nudge-id]").Length);

        async Task<string[]> Badges(string status) =>
            Get(await admin.GetStringAsync($"/admin/campaigns/{id}?status={status}")).QuerySelectorAll("#campaign-log tbody .badge").Select(b => b.TextContent.Trim()).ToArray();
        Assert.Equal(["No opt-in", "No opt-in"], await Badges("no_opt_in"));
        Assert.Equal(["Held by daily cap"], await Badges("cap"));
        // Jon's queued nudge would hold the cap past the campaign's 24 h validity.
        Assert.Equal(["Expired before sending"], await Badges("expired"));
        Assert.Equal(["Opted out", "Opted out"], await Badges("opted_out"));
        Assert.Equal(26, (await Badges("sent")).Count(b => b == "Sent"));
        Assert.Empty(await Badges("queued"));
        var all = Get(await admin.GetStringAsync($"/admin/campaigns/{id}?size=100")).QuerySelector("#campaign-log")!.TextContent;
        Assert.DoesNotContain("no_opt_in", all);
        Assert.DoesNotContain("suppressed", all);

        // Hostile or stale query values fall back to the defaults instead of failing.
        var odd = await admin.GetAsync($"/admin/campaigns/{id}?status=%27%3Bdrop&size=7&p=-3");
        Assert.Equal(HttpStatusCode.OK, odd.StatusCode);
        Assert.Contains("32 messages", Get(await odd.Content.ReadAsStringAsync()).QuerySelector("#log-count")!.TextContent);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/admin/campaigns/{id}?p=99999")).StatusCode);

        var row = await ListRow();
        Assert.Equal((32, 6, 0, 26), (Count(row, "matched"), Count(row, "held-back"), Count(row, "waiting"), Count(row, "sent")));
        Assert.Equal(Count(row, "matched"), Count(row, "held-back") + Count(row, "waiting") + Count(row, "sent") + Count(row, "failed"));

        var api = JsonDocument.Parse(await _kit.Api.GetStringAsync($"/api/campaign/logs?campaignId={id}")).RootElement;
        var eve = api.GetProperty("messages").EnumerateArray().Single(m => m.GetProperty("contactId").GetInt32() == _ids["Eve"]);
        Assert.Equal("suppressed", eve.GetProperty("status").GetString());
        Assert.Equal("No opt-in", eve.GetProperty("statusName").GetString());
    }
}
