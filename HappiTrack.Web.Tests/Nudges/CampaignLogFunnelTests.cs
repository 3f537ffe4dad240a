using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Tracking;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Dispatch;

/// <summary>
/// A campaign sent through the WhatsApp Cloud dispatcher, then Meta's delivery statuses and a click:
/// the campaign log must show each message's furthest stage and the time of every step (SPEC §6).
/// </summary>
public sealed class CampaignLogFunnelTests : IAsyncLifetime
{
    private TestBotServer _bot = null!;
    private DispatchApp _app = null!;

    public async Task InitializeAsync()
    {
        _bot = await TestBotServer.StartAsync();
        _app = new DispatchApp(DispatchModes.WhatsAppCloud, _bot);
        _app.Settings["Admin:Email"] = AdminFactory.AdminEmail;
        _app.Settings["Admin:Password"] = AdminFactory.AdminPassword;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _bot.DisposeAsync();
    }

    [Fact]
    public async Task The_campaign_log_shows_delivered_read_and_clicked_with_their_times()
    {
        var sentOnly = await _app.ContactAsync("+4915112340001", "Sam");
        var delivered = await _app.ContactAsync("+4915112340002", "Dan");
        var read = await _app.ContactAsync("+4915112340003", "Rea");
        var clicked = await _app.ContactAsync("+4915112340004", "Cleo");
        var api = _app.AdminClient();

        var broadcast = await api.BroadcastConfirmedAsync("Winter", "Hi {name}, warm picks: {link}", new { });
        Assert.Equal(HttpStatusCode.OK, broadcast.StatusCode);
        var campaignId = (await broadcast.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("campaignId").GetInt32();
        Assert.Equal(4, await _app.DispatchAsync());
        var sentAt = _app.Now;

        var nudges = await _app.WithDbAsync(db => db.Set<Nudge>().AsNoTracking()
            .Where(n => n.CampaignId == campaignId).ToDictionaryAsync(n => n.ContactId));
        JsonObject Status(Contact contact, string status, DateTime at) =>
            DispatchApp.Status(nudges[contact.Id].ProviderMessageId!, status, at, contact.Phone.TrimStart('+'));
        var t0 = sentAt;
        _app.Clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(HttpStatusCode.OK, (await _app.PostWebhookAsync(DispatchApp.Envelope(statuses: new JsonArray(
            Status(delivered, "delivered", t0.AddMinutes(1)),
            Status(read, "delivered", t0.AddMinutes(2)),
            Status(read, "read", t0.AddMinutes(7)),
            Status(clicked, "read", t0.AddMinutes(3)))))).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect,
            (await _app.CreateBrowserClient(allowRedirects: false).GetAsync($"/r/{nudges[clicked.Id].Code}")).StatusCode);

        var log = await api.GetFromJsonAsync<JsonElement>($"/api/campaign/logs?campaignId={campaignId}");
        var messages = log.GetProperty("messages").EnumerateArray().ToDictionary(m => m.GetProperty("contactId").GetInt32());
        Assert.Equal(4, messages.Count);

        Assert.Equal("sent", messages[sentOnly.Id].GetProperty("status").GetString());
        Assert.Equal(sentAt, messages[sentOnly.Id].GetProperty("sentAt").GetDateTime());
        Assert.Equal(JsonValueKind.Null, messages[sentOnly.Id].GetProperty("deliveredAt").ValueKind);

        Assert.Equal("delivered", messages[delivered.Id].GetProperty("status").GetString());
        Assert.Equal(t0.AddMinutes(1), messages[delivered.Id].GetProperty("deliveredAt").GetDateTime());
        Assert.Equal(JsonValueKind.Null, messages[delivered.Id].GetProperty("readAt").ValueKind);

        Assert.Equal("read", messages[read.Id].GetProperty("status").GetString());
        Assert.Equal(t0.AddMinutes(2), messages[read.Id].GetProperty("deliveredAt").GetDateTime());
        Assert.Equal(t0.AddMinutes(7), messages[read.Id].GetProperty("readAt").GetDateTime());
        Assert.Equal("read", messages[read.Id].GetProperty("funnel").GetProperty("stage").GetString());

        // Read without a delivery report still counts as delivered (WhatsApp may skip it); the click wins the stage.
        Assert.Equal("clicked", messages[clicked.Id].GetProperty("status").GetString());
        Assert.Equal(t0.AddMinutes(3), messages[clicked.Id].GetProperty("deliveredAt").GetDateTime());
        Assert.Equal(_app.Now, messages[clicked.Id].GetProperty("clickedAt").GetDateTime());

        // The admin's log page shows the same steps.
        var admin = _app.CreateClient(new() { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.Redirect, (await AdminFactory.PostLoginAsync(admin, AdminFactory.AdminEmail, AdminFactory.AdminPassword)).StatusCode);
        var page = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await admin.GetStringAsync($"/admin/campaigns/{campaignId}"));
        var row = page.QuerySelector($"#campaign-log tr[data-nudge-id='{nudges[read.Id].Id}']")!;
        Assert.Contains(row.QuerySelectorAll("td"), td => td.TextContent.Trim() == t0.AddMinutes(7).ToString("yyyy-MM-dd HH:mm"));
        Assert.Equal("Read", row.QuerySelector(".badge")!.TextContent.Trim());
    }
}
