using System.Text.Json;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Dispatch;

public sealed class WhatsAppCloudDispatchTests : IAsyncLifetime
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

    private static JsonElement Root(TestBotServer.RecordedRequest request) => JsonDocument.Parse(request.Body).RootElement;

    [Fact]
    public async Task Outside_the_24h_window_a_template_message_goes_to_the_messages_endpoint_and_its_wamid_is_stored()
    {
        var contact = await _app.ContactAsync("+4915112345678", "Amina", lastInboundAt: _app.Now.AddHours(-25));
        var nudge = await _app.NudgeAsync(contact.Id, NudgeKinds.InterestDiscount, "lenovo-loq-15");
        _bot.Responder = (_, _) => (200, """{"messaging_product":"whatsapp","contacts":[{"input":"4915112345678","wa_id":"4915112345678"}],"messages":[{"id":"wamid.TEMPLATE1"}]}""");

        Assert.Equal(1, await _app.DispatchAsync());

        var request = Assert.Single(_bot.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal($"/v21.0/{DispatchApp.PhoneNumberId}/messages", request.Path);
        Assert.Equal($"Bearer {DispatchApp.AccessToken}", request.Headers["Authorization"]);
        Assert.StartsWith("application/json", request.Headers["Content-Type"]);
        var root = Root(request);
        Assert.Equal("whatsapp", root.GetProperty("messaging_product").GetString());
        Assert.Equal("individual", root.GetProperty("recipient_type").GetString());
        Assert.Equal("4915112345678", root.GetProperty("to").GetString());
        Assert.Equal("template", root.GetProperty("type").GetString());
        Assert.Equal($"nudge:{nudge.Id}", root.GetProperty("biz_opaque_callback_data").GetString());
        var template = root.GetProperty("template");
        Assert.Equal("happitrack_nudge", template.GetProperty("name").GetString());
        Assert.Equal("en", template.GetProperty("language").GetProperty("code").GetString());
        var components = template.GetProperty("components").EnumerateArray().ToList();
        Assert.Equal(2, components.Count);
        Assert.Equal("body", components[0].GetProperty("type").GetString());
        var parameters = components[0].GetProperty("parameters").EnumerateArray().ToList();
        Assert.Equal(["text", "text"], parameters.Select(p => p.GetProperty("type").GetString()));
        Assert.Equal("Amina", parameters[0].GetProperty("text").GetString());
        Assert.Equal(nudge.Message, parameters[1].GetProperty("text").GetString());
        Assert.Equal("button", components[1].GetProperty("type").GetString());
        Assert.Equal("url", components[1].GetProperty("sub_type").GetString());
        Assert.Equal("0", components[1].GetProperty("index").GetString());
        Assert.Equal(nudge.Code, components[1].GetProperty("parameters")[0].GetProperty("text").GetString());
        Assert.False(root.TryGetProperty("text", out _));

        var stored = await _app.LoadAsync(nudge.Id);
        Assert.Equal(NudgeStatuses.Sent, stored.Status);
        Assert.Equal("wamid.TEMPLATE1", stored.ProviderMessageId);
    }

    [Fact]
    public async Task Inside_the_24h_window_a_text_message_with_the_link_and_a_preview_is_sent()
    {
        var contact = await _app.ContactAsync("+4915112345679", lastInboundAt: _app.Now.AddHours(-23));
        var nudge = await _app.NudgeAsync(contact.Id);

        Assert.Equal(1, await _app.DispatchAsync());

        var root = Root(Assert.Single(_bot.Requests));
        Assert.Equal("whatsapp", root.GetProperty("messaging_product").GetString());
        Assert.Equal("individual", root.GetProperty("recipient_type").GetString());
        Assert.Equal("4915112345679", root.GetProperty("to").GetString());
        Assert.Equal("text", root.GetProperty("type").GetString());
        Assert.True(root.GetProperty("text").GetProperty("preview_url").GetBoolean());
        Assert.Equal(nudge.Message, root.GetProperty("text").GetProperty("body").GetString());
        Assert.Contains(nudge.Link, root.GetProperty("text").GetProperty("body").GetString());
        Assert.False(root.TryGetProperty("template", out _));
        Assert.StartsWith("wamid.", (await _app.LoadAsync(nudge.Id)).ProviderMessageId);
    }

    [Fact]
    public async Task The_per_user_marketing_limit_131049_defers_the_nudge_by_24h_without_using_an_attempt()
    {
        var contact = await _app.ContactAsync("+4915112345680");
        var nudge = await _app.NudgeAsync(contact.Id);
        _bot.Responder = (_, _) => (400, """{"error":{"message":"This message was not delivered to maintain healthy ecosystem engagement.","type":"OAuthException","code":131049,"fbtrace_id":"Axyz"}}""");

        Assert.Equal(0, await _app.DispatchAsync());

        Assert.Single(_bot.Requests);
        var deferred = await _app.LoadAsync(nudge.Id);
        Assert.Equal(NudgeStatuses.Deferred, deferred.Status);
        Assert.Equal(_app.Now.AddHours(24), deferred.SendAfter);
        Assert.Equal(0, deferred.Attempts);

        _bot.Responder = (_, _) => (200, """{"messages":[{"id":"wamid.LATER"}]}""");
        _app.Clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal(0, await _app.DispatchAsync());
        _app.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, await _app.DispatchAsync());
        Assert.Equal("wamid.LATER", (await _app.LoadAsync(nudge.Id)).ProviderMessageId);
    }

    [Fact]
    public async Task Another_400_fails_the_nudge_without_retry()
    {
        var contact = await _app.ContactAsync("+4915112345681");
        var nudge = await _app.NudgeAsync(contact.Id);
        _bot.Responder = (_, _) => (400, """{"error":{"message":"(#132001) Template name does not exist in the translation","type":"OAuthException","code":132001}}""");

        await _app.DispatchAsync();
        _app.Clock.Advance(TimeSpan.FromDays(1));
        await _app.DispatchAsync();

        Assert.Single(_bot.Requests);
        var dead = await _app.LoadAsync(nudge.Id);
        Assert.Equal(NudgeStatuses.Dead, dead.Status);
        Assert.Contains("132001", dead.LastError);
    }

    [Fact]
    public async Task A_send_interrupted_by_a_crash_is_not_sent_again_but_dead_lettered_until_a_status_proves_it_went_out()
    {
        var contact = await _app.ContactAsync("+4915112345682");
        var nudge = await _app.NudgeAsync(contact.Id);
        // What a crash between the Cloud API call and the commit leaves behind: a claimed nudge with a lease.
        await _app.WithDbAsync(db => db.Set<Nudge>().Where(n => n.Id == nudge.Id).ExecuteUpdateAsync(s => s
            .SetProperty(n => n.Status, NudgeStatuses.Sending).SetProperty(n => n.Attempts, 1)
            .SetProperty(n => n.LeaseUntil, _app.Now + OutboxProcessor.Lease)));

        _app.Clock.Advance(OutboxProcessor.Lease + TimeSpan.FromSeconds(1));
        await _app.DispatchAsync();

        Assert.Empty(_bot.Requests);
        var dead = await _app.LoadAsync(nudge.Id);
        Assert.Equal(NudgeStatuses.Dead, dead.Status);
        Assert.Contains("Outcome unknown", dead.LastError);

        // Meta reports the message it did send, found by the nudge id in biz_opaque_callback_data.
        var json = DispatchApp.Envelope(statuses: new System.Text.Json.Nodes.JsonArray(DispatchApp.Status("wamid.CRASHED", "delivered", _app.Now, "4915112345682", nudge.Id)));
        Assert.Equal(System.Net.HttpStatusCode.OK, (await _app.PostWebhookAsync(json)).StatusCode);
        var settled = await _app.LoadAsync(nudge.Id);
        Assert.Equal(NudgeStatuses.Sent, settled.Status);
        Assert.Equal("wamid.CRASHED", settled.ProviderMessageId);
        Assert.NotNull(settled.DeliveredAt);
    }
}
