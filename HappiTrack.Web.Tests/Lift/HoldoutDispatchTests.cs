using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Tests.Brain;
using HappiTrack.Web.Tests.Dispatch;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Lift;

/// <summary>
/// Held-out contacts (issue 19) get a <c>held_out</c> row, no token and no message at the bot, and do not use up
/// the cap; which contacts are held out is exactly what the keyed hash says. Both providers.
/// </summary>
public sealed class HoldoutDispatchTests : IAsyncLifetime
{
    private TestBotServer _bot = null!;

    public async Task InitializeAsync() => _bot = await TestBotServer.StartAsync();
    public async Task DisposeAsync() => await _bot.DisposeAsync();

    private static Task<byte[]> KeyAsync(HappiTrackFactory app) => app.WithDbAsync(async db =>
        Convert.FromBase64String(await db.Set<HoldoutKeyRecord>().Select(k => k.Key).SingleAsync()));

    private List<string> BotBodies() => _bot.Requests.Where(r => r.Path == "/bot/nudges").Select(r => r.Body).ToList();

    [Fact]
    public async Task A_rules_held_out_contacts_get_held_out_rows_without_tokens_no_message_and_keep_their_cap()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot);
        app.Settings["Rules:CartRescue:HoldoutPercent"] = "50";
        var kit = new BrainKit(app);
        var contacts = new List<int>();
        for (var i = 0; i < 16; i++)
        {
            var contact = await app.ContactAsync($"+49151300000{i:D2}", $"Shopper {i}");
            var visitor = await kit.VisitorAsync(contact.Id);
            await kit.AddToCartAsync(visitor, BrainKit.Featured);
            contacts.Add(contact.Id);
        }
        await kit.ProjectAsync();
        app.Clock.Advance(TimeSpan.FromMinutes(31));
        await kit.AbandonedCartsAsync();

        var key = await KeyAsync(app);
        var period = Holdouts.Period(app.Now);
        var rescues = await app.WithDbAsync(db => db.Set<Nudge>().AsNoTracking().Where(n => n.Kind == NudgeKinds.CartRescue).ToListAsync());
        Assert.Equal(contacts.Order(), rescues.Select(n => n.ContactId).Order());
        var expectedHeld = contacts.Where(id => Holdouts.IsHeldOut(key, id, "rule:cart_rescue", period, 50)).ToHashSet();
        Assert.InRange(expectedHeld.Count, 1, 15);
        foreach (var n in rescues)
        {
            var held = expectedHeld.Contains(n.ContactId);
            Assert.Equal(held ? NudgeStatuses.HeldOut : NudgeStatuses.Queued, n.Status);
            Assert.Equal(held, n.TokenId is null);
            if (held) Assert.Equal(HoldoutReasons.Holdout, n.Reason);
        }
        Assert.Equal(0, await app.WithDbAsync(db => db.Set<Features.Tokens.DiscountToken>().CountAsync(t => expectedHeld.Contains(t.ContactId))));

        await app.DrainAsync();
        var bodies = BotBodies();
        Assert.Equal(16 - expectedHeld.Count, bodies.Count);
        var heldCodes = rescues.Where(n => expectedHeld.Contains(n.ContactId)).Select(n => n.Code).ToList();
        Assert.DoesNotContain(bodies, b => heldCodes.Any(code => b.Contains(code, StringComparison.Ordinal)));
        Assert.All(await app.WithDbAsync(db => db.Set<Nudge>().AsNoTracking().Where(n => expectedHeld.Contains(n.ContactId)).ToListAsync()),
            n => Assert.Equal((NudgeStatuses.HeldOut, (DateTime?)null, 0), (n.Status, n.SentAt, n.Attempts)));

        // The cap (one marketing message a day): a held-out contact still has theirs, a messaged one does not.
        var heldContact = expectedHeld.First();
        var sentContact = contacts.First(id => !expectedHeld.Contains(id));
        await using var scope = app.Services.CreateAsyncScope();
        var next = await app.WithDbAsync(async db =>
        {
            var outbox = scope.ServiceProvider.GetRequiredService<NudgeOutbox>();
            var settings = await new RuleSettingsService(db, app.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>(), app.Clock).GetAsync();
            var result = new List<Nudge?>();
            foreach (var id in new[] { heldContact, sentContact })
            {
                var contact = await db.Contacts.FirstAsync(c => c.Id == id);
                result.Add(await outbox.WriteAsync(db, contact, new NudgeRequest(NudgeKinds.Campaign, $"cap-check:{id}", null, (link, _) => new NudgeContent("Hi " + link)), settings, app.Now));
            }
            await db.SaveChangesAsync();
            return result;
        });
        Assert.Equal(NudgeStatuses.Queued, next[0]!.Status);
        Assert.Equal((NudgeStatuses.Deferred, GuardReasons.Capped), (next[1]!.Status, next[1]!.Reason));
    }

    [Fact]
    public async Task A_campaign_holdout_is_previewed_as_expected_reach_sent_to_the_rest_and_named_in_the_log()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot);
        for (var i = 0; i < 20; i++) await app.ContactAsync($"+49151400000{i:D2}", $"Reader {i}");
        var api = app.AdminClient();
        var segment = new { };
        const string message = "Hi {name}, new arrivals: {link}";

        var tooMuch = await api.PostAsJsonAsync("/api/campaign/broadcast", new { name = "Too much", message, segment, dryRun = true, holdoutPercent = 51 });
        Assert.Equal(HttpStatusCode.BadRequest, tooMuch.StatusCode);
        Assert.Contains("holdoutPercent", await tooMuch.Content.ReadAsStringAsync());

        var preview = await (await api.PostAsJsonAsync("/api/campaign/broadcast", new { name = "Lift", message, segment, dryRun = true, holdoutPercent = 50 }))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(20, preview.GetProperty("reach").GetInt32());
        Assert.Equal(10, preview.GetProperty("expectedReachAfterHoldout").GetInt32());
        var previewId = preview.GetProperty("previewId").GetString();

        // The preview vouches for its holdout: the same preview cannot send with another one.
        var changed = await api.PostAsJsonAsync("/api/campaign/broadcast", new { name = "Lift", message, segment, previewId, holdoutPercent = 0 });
        Assert.Equal(HttpStatusCode.Conflict, changed.StatusCode);

        var sent = await api.PostAsJsonAsync("/api/campaign/broadcast", new { name = "Lift", message, segment, previewId, holdoutPercent = 50 });
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        var outcome = await sent.Content.ReadFromJsonAsync<JsonElement>();
        var campaignId = outcome.GetProperty("campaignId").GetInt32();
        var key = await KeyAsync(app);
        var contacts = await app.WithDbAsync(db => db.Contacts.Select(c => c.Id).ToListAsync());
        var expectedHeld = contacts.Where(id => Holdouts.IsHeldOut(key, id, $"campaign:{campaignId}", Holdouts.Period(app.Now), 50)).ToHashSet();
        Assert.InRange(expectedHeld.Count, 1, 19);
        Assert.Equal(expectedHeld.Count, outcome.GetProperty("heldOut").GetInt32());
        Assert.Equal(20 - expectedHeld.Count, outcome.GetProperty("queued").GetInt32());

        await app.DrainAsync();
        Assert.Equal(20 - expectedHeld.Count, BotBodies().Count);

        await using var logScope = app.Services.CreateAsyncScope();
        var campaigns = logScope.ServiceProvider.GetRequiredService<CampaignService>();
        var log = (await campaigns.LogAsync(campaignId, null, CancellationToken.None))!;
        Assert.Equal(expectedHeld.Order(), log.Messages.Where(m => m.Status == NudgeStatuses.HeldOut).Select(m => m.ContactId).Order());
        Assert.All(log.Messages.Where(m => m.Status == NudgeStatuses.HeldOut), m => Assert.Equal("Held out (control group)", m.StatusName));
        Assert.Equal(expectedHeld.Count, log.Outcome.HeldOut);
        var listed = Assert.Single(await campaigns.ListAsync(10, CancellationToken.None));
        Assert.Equal((20, expectedHeld.Count, 20 - expectedHeld.Count), (listed.Matched, listed.HeldOut, listed.Sent));
        var filtered = (await campaigns.LogAsync(campaignId, new CampaignLogQuery("held_out"), CancellationToken.None))!;
        Assert.Equal(expectedHeld.Count, filtered.Total);
    }

    [Fact]
    public async Task The_global_control_group_gets_no_marketing_and_is_counted_on_the_dashboard()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot);
        app.Settings["Marketing:GlobalControlPercent"] = "30";
        for (var i = 0; i < 40; i++) await app.ContactAsync($"+49151500000{i:D2}", $"Member {i}");
        var api = app.AdminClient();
        var sent = await api.BroadcastConfirmedAsync("Everyone", "Hi {name}: {link}", new { });
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);

        var key = await KeyAsync(app);
        var rows = await app.WithDbAsync(db => db.Set<Nudge>().AsNoTracking().ToListAsync());
        var global = rows.Where(n => Holdouts.IsHeldOut(key, n.ContactId, "global", "all", 30)).ToList();
        Assert.InRange(global.Count, 1, 39);
        Assert.All(global, n => Assert.Equal((NudgeStatuses.HeldOut, HoldoutReasons.GlobalControl), (n.Status, n.Reason)));
        Assert.All(rows.Except(global), n => Assert.Equal(NudgeStatuses.Queued, n.Status));

        await using var scope = app.Services.CreateAsyncScope();
        var summary = await scope.ServiceProvider.GetRequiredService<GlobalControl>().SummaryAsync();
        Assert.Equal((30, global.Count, 40), (summary.Percent, summary.HeldOutContacts, summary.AllContacts));
    }

    [Fact]
    public async Task A_global_control_share_above_50_percent_stops_the_start()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot);
        app.Settings["Marketing:GlobalControlPercent"] = "60";
        var error = Assert.ThrowsAny<Exception>(() => app.Services);
        Assert.Contains("Marketing:GlobalControlPercent", error.ToString());
    }
}
