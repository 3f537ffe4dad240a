using System.Net;
using System.Text.Json.Nodes;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Tests.Dispatch;
using HappiTrack.Web.Tests.Infrastructure;

namespace HappiTrack.Web.Tests.Security;

/// <summary>
/// Issue 15 items 9 and 10: a correctly signed notification with a malformed entry is answered 200
/// with that entry skipped and logged (Meta retries a 5xx for days), and a status changes a nudge
/// only when it names the nudge's own recipient.
/// </summary>
public sealed class WhatsAppWebhookTrustTests : IAsyncLifetime
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

    /// <summary>A signed post whose statuses are <paramref name="rawEntry"/> (as typed, byte for byte) and then <paramref name="good"/>.</summary>
    private static string WithRawStatus(string rawEntry, JsonObject good) =>
        InjectFirst(DispatchApp.Envelope(statuses: new JsonArray(good)), "\"statuses\":[", rawEntry);

    private static string InjectFirst(string envelope, string arrayStart, string rawEntry)
    {
        Assert.Contains(arrayStart, envelope);
        return envelope.Replace(arrayStart, arrayStart + rawEntry + ",", StringComparison.Ordinal);
    }

    private string Unix => DispatchApp.Unix(_app.Now).ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("""{"code":1.5,"title":"x"}""")]
    [InlineData("""{"code":99999999999,"title":"x"}""")]
    [InlineData("""{"code":-1e400,"title":"x"}""")]
    [InlineData("""{"code":"131049","title":"x"}""")]
    [InlineData("""{"code":{"nested":true},"title":"x"}""")]
    public async Task A_signed_failed_status_with_a_malformed_error_code_gets_200_is_skipped_and_logged(string error)
    {
        var bad = await SentNudgeAsync("+4915112345601", "wamid.BAD");
        var good = await SentNudgeAsync("+4915112345602", "wamid.GOOD");
        var json = WithRawStatus(
            $$"""{"id":"wamid.BAD","status":"failed","timestamp":"{{Unix}}","recipient_id":"4915112345601","errors":[{{error}}]}""",
            DispatchApp.Status("wamid.GOOD", "delivered", _app.Now, "4915112345602"));

        var response = await _app.PostWebhookAsync(json);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var skipped = await _app.LoadAsync(bad.Id);
        Assert.Equal(NudgeStatuses.Sent, skipped.Status);
        Assert.Null(skipped.FailedAt);
        Assert.Null(skipped.LastError);
        Assert.NotEqual(DeliveryStatuses.Failed, skipped.DeliveryStatus);
        Assert.Equal(DeliveryStatuses.Delivered, (await _app.LoadAsync(good.Id)).DeliveryStatus);
        Assert.Contains(_app.Log, line => line.Contains("skipped", StringComparison.Ordinal));
    }

    [Theory]
    // A field of the wrong type where the reader expects an object, and a duplicated key.
    [InlineData("""{"from":"4915112345603","id":"wamid.in1","timestamp":"{ts}","type":"text","text":"STOP"}""")]
    [InlineData("""{"from":"4915112345603","id":"wamid.in2","timestamp":"{ts}","type":"button","button":["STOP"]}""")]
    [InlineData("""{"from":"4915112345603","from":"4915112345603","id":"wamid.in3","timestamp":"{ts}","type":"text","text":{"body":"STOP"}}""")]
    public async Task A_signed_message_with_a_malformed_field_gets_200_and_the_rest_of_the_post_applies(string message)
    {
        var contact = await _app.ContactAsync("+4915112345603");
        var good = await SentNudgeAsync("+4915112345604", "wamid.GOOD2");
        var envelope = DispatchApp.Envelope(
            statuses: new JsonArray(DispatchApp.Status("wamid.GOOD2", "read", _app.Now, "4915112345604")),
            messages: new JsonArray(DispatchApp.Text("4915112345605", "hello", _app.Now)));
        var json = InjectFirst(envelope, "\"messages\":[", message.Replace("{ts}", Unix, StringComparison.Ordinal));

        var response = await _app.PostWebhookAsync(json);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((await _app.LoadContactAsync(contact.Id)).OptedOut);
        Assert.Equal(DeliveryStatuses.Read, (await _app.LoadAsync(good.Id)).DeliveryStatus);
        Assert.Contains(_app.Log, line => line.Contains("skipped", StringComparison.Ordinal));
        // The skipped entry is not copied into the log: it holds a phone number.
        Assert.DoesNotContain(_app.Log, line => line.Contains("4915112345603", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_malformed_envelope_gets_200_not_a_5xx()
    {
        var good = await SentNudgeAsync("+4915112345606", "wamid.GOOD3");
        var envelope = DispatchApp.Envelope(statuses: new JsonArray(DispatchApp.Status("wamid.GOOD3", "delivered", _app.Now, "4915112345606")));
        foreach (var json in new[]
        {
            envelope.Replace("{\"object\":", "{\"entry\":1,\"object\":", StringComparison.Ordinal), // "entry" twice
            """{"entry":"x"}""",
            """{"entry":[{"changes":[{"value":{"statuses":{"id":"wamid.GOOD3"}}}]}]}""",
            """{"entry":[{"changes":[{"value":{"statuses":[{"id":["wamid.GOOD3"],"status":{"x":1},"timestamp":1e400,"recipient_id":4915112345606}]}}]}]}""",
        })
        {
            var response = await _app.PostWebhookAsync(json);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} for {json}");
        }
        Assert.Null((await _app.LoadAsync(good.Id)).DeliveredAt);
    }

    [Fact]
    public async Task A_status_changes_a_nudge_only_when_its_recipient_is_the_nudges_contact()
    {
        var nudge = await SentNudgeAsync("+4915112345611", "wamid.MINE");

        foreach (var status in new[]
        {
            DispatchApp.Status("wamid.MINE", "delivered", _app.Now, "4915112345699"),
            DispatchApp.Status("wamid.OTHER", "read", _app.Now, "4915112345699", nudgeId: nudge.Id),
            DispatchApp.Status("wamid.MINE", "failed", _app.Now, "4915112345699", errorCode: WhatsAppCloudDispatcher.MarketingLimitCode),
            DispatchApp.Status("wamid.MINE", "failed", _app.Now, "+4915112345611", errorCode: 131026),
            DispatchApp.Status("wamid.MINE", "read", _app.Now, "49151123456110"),
        })
        {
            Assert.Equal(HttpStatusCode.OK, (await _app.PostWebhookAsync(DispatchApp.Envelope(statuses: new JsonArray(status)))).StatusCode);
        }
        var missing = DispatchApp.Status("wamid.MINE", "read", _app.Now, "4915112345611");
        missing.Remove("recipient_id");
        Assert.Equal(HttpStatusCode.OK, (await _app.PostWebhookAsync(DispatchApp.Envelope(statuses: new JsonArray(missing)))).StatusCode);

        var untouched = await _app.LoadAsync(nudge.Id);
        Assert.Equal(NudgeStatuses.Sent, untouched.Status);
        Assert.Null(untouched.DeliveredAt);
        Assert.Null(untouched.ReadAt);
        Assert.Null(untouched.FailedAt);
        Assert.Equal("wamid.MINE", untouched.ProviderMessageId);
        Assert.Contains(_app.Log, line => line.Contains("recipient_id", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.OK, (await _app.PostWebhookAsync(DispatchApp.Envelope(
            statuses: new JsonArray(DispatchApp.Status("wamid.MINE", "delivered", _app.Now, "4915112345611"))))).StatusCode);
        Assert.Equal(DeliveryStatuses.Delivered, (await _app.LoadAsync(nudge.Id)).DeliveryStatus);
    }
}
