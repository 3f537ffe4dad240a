using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Dispatch;

public sealed class WhatsAppWebhookTests : IAsyncLifetime
{
    private TestBotServer _bot = null!;
    private DispatchApp _app = null!;

    public async Task InitializeAsync()
    {
        _bot = await TestBotServer.StartAsync();
        _app = new DispatchApp(DispatchModes.WhatsAppCloud, _bot);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _bot.DisposeAsync();
    }

    private Task<Nudge> SentNudgeAsync(string phone, string wamid) => _app.SentNudgeAsync(_bot, phone, wamid);

    [Fact]
    public async Task The_verify_handshake_echoes_the_challenge_only_for_the_right_token()
    {
        var client = _app.CreateClient();
        var ok = await client.GetAsync($"{WhatsAppWebhookEndpoints.Path}?hub.mode=subscribe&hub.verify_token={DispatchApp.VerifyToken}&hub.challenge=1158201444");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("text/plain", ok.Content.Headers.ContentType?.MediaType);
        Assert.Equal("1158201444", await ok.Content.ReadAsStringAsync());

        foreach (var query in new[]
        {
            "?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
            $"?hub.mode=unsubscribe&hub.verify_token={DispatchApp.VerifyToken}&hub.challenge=1",
            $"?hub.mode=subscribe&hub.challenge=1",
            "",
        })
        {
            var refused = await client.GetAsync(WhatsAppWebhookEndpoints.Path + query);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.NotEqual("1", await refused.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Only_bodies_signed_with_the_app_secret_are_applied()
    {
        var nudge = await SentNudgeAsync("+4915112345690", "wamid.SIG");
        var json = DispatchApp.Envelope(statuses: new JsonArray(DispatchApp.Status("wamid.SIG", "read", _app.Now, "4915112345690")));
        var otherBody = DispatchApp.Envelope(statuses: new JsonArray(DispatchApp.Status("wamid.SIG", "delivered", _app.Now, "4915112345690")));

        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.PostWebhookAsync(json, sign: false)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _app.PostWebhookAsync(json, signature: "sha256=" + new string('0', 64))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _app.PostWebhookAsync(json, signature: "sha256=nothex")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _app.PostWebhookAsync(json, signature: DispatchApp.MetaSignature(otherBody))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _app.PostWebhookAsync(json + " ", signature: DispatchApp.MetaSignature(json))).StatusCode);
        var untouched = await _app.LoadAsync(nudge.Id);
        Assert.Null(untouched.DeliveryStatus);
        Assert.Null(untouched.ReadAt);

        Assert.Equal(HttpStatusCode.OK, (await _app.PostWebhookAsync(json)).StatusCode);
        var applied = await _app.LoadAsync(nudge.Id);
        Assert.Equal(DeliveryStatuses.Read, applied.DeliveryStatus);
        Assert.Equal(_app.Now, applied.ReadAt);
    }

    [Fact]
    public async Task Duplicate_and_out_of_order_statuses_never_move_a_nudge_backwards()
    {
        var nudge = await SentNudgeAsync("+4915112345691", "wamid.ORDER");
        var t0 = _app.Now;
        async Task PostAsync(string status, DateTime at, int? error = null) =>
            Assert.Equal(HttpStatusCode.OK, (await _app.PostWebhookAsync(DispatchApp.Envelope(
                statuses: new JsonArray(DispatchApp.Status("wamid.ORDER", status, at, "4915112345691", errorCode: error))))).StatusCode);

        _app.Clock.Advance(TimeSpan.FromMinutes(10));
        await PostAsync("read", t0.AddMinutes(5));
        await PostAsync("delivered", t0.AddMinutes(1));
        await PostAsync("sent", t0);
        await PostAsync("read", t0.AddMinutes(5));
        await PostAsync("delivered", t0.AddMinutes(2));
        await PostAsync("failed", t0.AddMinutes(6), error: 131026);

        var stored = await _app.LoadAsync(nudge.Id);
        Assert.Equal(DeliveryStatuses.Read, stored.DeliveryStatus);
        Assert.Equal(t0.AddMinutes(1), stored.DeliveredAt);
        Assert.Equal(t0.AddMinutes(5), stored.ReadAt);
        Assert.Null(stored.FailedAt);
        Assert.Equal(NudgeStatuses.Sent, stored.Status);

        var funnel = (await _app.AdminClient().GetFromJsonAsync<List<NudgeDto>>($"/api/nudges?contactId={stored.ContactId}"))!.Single().Funnel;
        Assert.Equal("read", funnel.Stage);
        Assert.Equal(t0.AddMinutes(1), funnel.DeliveredAt);
        Assert.Equal(t0.AddMinutes(5), funnel.ReadAt);
    }

    [Fact]
    public async Task A_failed_status_before_delivery_is_recorded_and_one_for_the_marketing_limit_requeues_a_day_later()
    {
        var failed = await SentNudgeAsync("+4915112345692", "wamid.FAIL");
        var limited = await SentNudgeAsync("+4915112345693", "wamid.LIMIT");
        var json = DispatchApp.Envelope(statuses: new JsonArray(
            DispatchApp.Status("wamid.FAIL", "failed", _app.Now, "4915112345692", errorCode: 131026),
            DispatchApp.Status("wamid.LIMIT", "failed", _app.Now, "4915112345693", errorCode: 131049)));
        Assert.Equal(HttpStatusCode.OK, (await _app.PostWebhookAsync(json)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _app.PostWebhookAsync(json)).StatusCode);

        var f = await _app.LoadAsync(failed.Id);
        Assert.Equal(DeliveryStatuses.Failed, f.DeliveryStatus);
        Assert.Equal(_app.Now, f.FailedAt);
        Assert.Contains("131026", f.LastError);
        var l = await _app.LoadAsync(limited.Id);
        Assert.Equal(NudgeStatuses.Deferred, l.Status);
        Assert.Equal(_app.Now.AddHours(24), l.SendAfter);
        Assert.Null(l.ProviderMessageId);
    }

    [Fact]
    public async Task STOP_opts_out_at_once_and_cancels_waiting_nudges_so_nothing_is_sent_and_START_opts_back_in()
    {
        var contact = await _app.ContactAsync("+4915112345694", lastInboundAt: null);
        var waiting = await _app.NudgeAsync(contact.Id);
        _app.Clock.Advance(TimeSpan.FromMinutes(1));

        var stop = await _app.PostWebhookAsync(DispatchApp.Envelope(messages: new JsonArray(DispatchApp.Text("4915112345694", "  Stop! ", _app.Now))));
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        var optedOut = await _app.LoadContactAsync(contact.Id);
        Assert.True(optedOut.OptedOut);
        Assert.Equal(_app.Now, optedOut.OptedOutAt);
        Assert.Equal(_app.Now, optedOut.LastInboundAt);
        Assert.Equal(NudgeStatuses.Cancelled, (await _app.LoadAsync(waiting.Id)).Status);

        // A campaign after the STOP: the outbox suppresses it, the channel never hears of it.
        var campaign = await _app.NudgeAsync(contact.Id);
        await _app.DispatchAsync();
        Assert.Empty(_bot.Requests);
        Assert.Equal(NudgeStatuses.Suppressed, (await _app.LoadAsync(campaign.Id)).Status);

        _app.Clock.Advance(TimeSpan.FromMinutes(1));
        await _app.PostWebhookAsync(DispatchApp.Envelope(messages: new JsonArray(DispatchApp.Text("4915112345694", "START", _app.Now))));
        var optedIn = await _app.LoadContactAsync(contact.Id);
        Assert.False(optedIn.OptedOut);
        Assert.True(optedIn.OptedIn);
        Assert.Equal("whatsapp", optedIn.OptInSource);

        // A STOP older than that START, delivered late by Meta, does not undo it.
        await _app.PostWebhookAsync(DispatchApp.Envelope(messages: new JsonArray(DispatchApp.Text("4915112345694", "stop", _app.Now.AddSeconds(-30)))));
        Assert.False((await _app.LoadContactAsync(contact.Id)).OptedOut);

        var again = await _app.NudgeAsync(contact.Id);
        Assert.Equal(1, await _app.DispatchAsync());
        var request = Assert.Single(_bot.Requests);
        Assert.Contains("4915112345694", request.Body);
        // The contact wrote to us a minute ago: inside the 24 h window, so plain text.
        Assert.Contains("\"type\":\"text\"", request.Body);
        Assert.Equal(NudgeStatuses.Sent, (await _app.LoadAsync(again.Id)).Status);
    }

    [Theory]
    [InlineData("STOP", true)]
    [InlineData("stop", true)]
    [InlineData("Stop all", true)]
    [InlineData("unsubscribe.", true)]
    [InlineData("stopp", true)]
    [InlineData("Arrêt", true)]
    [InlineData("please stop sending", false)]
    [InlineData("start", false)]
    public void Stop_words(string text, bool stop) => Assert.Equal(stop, WhatsAppWebhook.IsStop(text));

    [Fact]
    public async Task Messages_from_unknown_phones_create_nothing_and_signed_garbage_is_acknowledged()
    {
        var before = await _app.WithDbAsync(db => db.Contacts.CountAsync());
        var response = await _app.PostWebhookAsync(DispatchApp.Envelope(messages: new JsonArray(DispatchApp.Text("4917700000000", "STOP", _app.Now))));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(before, await _app.WithDbAsync(db => db.Contacts.CountAsync()));

        Assert.Equal(HttpStatusCode.OK, (await _app.PostWebhookAsync("[1,2,3]")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _app.PostWebhookAsync("{\"entry\":\"nope\"}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _app.PostWebhookAsync("not json")).StatusCode);
        var huge = "{\"x\":\"" + new string('a', 300 * 1024) + "\"}";
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await _app.PostWebhookAsync(huge)).StatusCode);
    }
}
