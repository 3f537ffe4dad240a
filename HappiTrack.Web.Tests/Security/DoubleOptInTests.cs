using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Tests.Dispatch;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Storefront;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Security;

/// <summary>
/// Issue 15 item 1 (SECURITY.md row 15.1, "Double opt-in"): the checkout box can be ticked with anyone's
/// number, so it makes the contact pending; the only message it may get is one confirmation, and marketing
/// starts only after the number's owner answers YES (Meta's webhook, or the bot's signed callback).
/// Through HTTP against the real app and a real HTTP bot; both providers.
/// </summary>
public sealed class DoubleOptInTests : IAsyncLifetime
{
    private TestBotServer _bot = null!;

    public async Task InitializeAsync() => _bot = await TestBotServer.StartAsync();
    public async Task DisposeAsync() => await _bot.DisposeAsync();

    private static async Task CheckoutAsync(DispatchApp app, string phone, bool optIn = true)
    {
        var browser = new StorefrontBrowser(app);
        var product = await browser.GetAsync("/product/echo-dot-5");
        await browser.SubmitAsync(product, "form.add-form");
        var checkout = await browser.GetAsync("/checkout");
        var placed = await browser.SubmitAsync(checkout, "form.checkout-form", new Dictionary<string, string?>
        {
            ["Form.Name"] = "Stranger", ["Form.Phone"] = phone, ["Form.WhatsAppOptIn"] = optIn ? "true" : null,
        });
        Assert.StartsWith("/orders/", placed.Url);
    }

    /// <summary>
    /// A broadcast to everyone: its dry run when that reaches nobody (the API refuses to send to nobody, and
    /// the dry run's "queued" is what a send would queue), else the confirmed send.
    /// </summary>
    private static async Task<JsonElement> BroadcastAsync(DispatchApp app)
    {
        using var api = app.AdminClient();
        var preview = await api.PostAsJsonAsync("/api/campaign/broadcast", new { name = "Offers", message = "Hi {name}, deals: {link}", segment = new { }, dryRun = true });
        Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
        var dryRun = JsonDocument.Parse(await preview.Content.ReadAsStringAsync()).RootElement;
        if (dryRun.GetProperty("queued").GetInt32() == 0) return dryRun;
        var response = await api.BroadcastConfirmedAsync("Offers", "Hi {name}, deals: {link}", new { });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private List<JsonElement> SentToBot() =>
        _bot.Requests.Where(r => r.Path == "/bot/nudges").Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();

    [Fact]
    public async Task A_checkout_opt_in_gets_one_confirmation_no_marketing_until_the_owner_says_yes_on_whatsapp()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot);
        const string phone = "+4915112345671";
        await CheckoutAsync(app, phone);

        var contact = await app.WithDbAsync(db => db.Contacts.Include(c => c.ConsentHistory).AsNoTracking().SingleAsync(c => c.Phone == phone));
        Assert.False(contact.OptedIn);
        Assert.Equal(app.Now, contact.OptInRequestedAt);
        Assert.Equal(ConsentSources.Checkout, contact.OptInRequestSource);
        var request = Assert.Single(contact.ConsentHistory);
        Assert.True(request is { Pending: true, OptedIn: false, Source: ConsentSources.Checkout });

        // Marketing: the broadcast does not reach a pending contact; the outbox sends only the confirmation.
        var broadcast = await BroadcastAsync(app);
        Assert.Equal(0, broadcast.GetProperty("queued").GetInt32());
        Assert.Equal(1, broadcast.GetProperty("suppressed").GetProperty("noOptIn").GetInt32());
        await app.DrainAsync();
        var sent = Assert.Single(SentToBot());
        Assert.Equal(NudgeKinds.OptInConfirmation, sent.GetProperty("kind").GetString());
        Assert.StartsWith("Reply YES to get offers from", sent.GetProperty("message").GetString());
        Assert.Equal(phone, sent.GetProperty("contact").GetProperty("phone").GetString());

        // A second checkout with the same number asks nothing again while the request is pending.
        await CheckoutAsync(app, phone);
        await app.DrainAsync();
        Assert.Single(SentToBot());

        // The owner answers YES on WhatsApp: now she is opted in by her own word and marketing reaches her.
        app.Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(HttpStatusCode.OK, (await app.PostWebhookAsync(DispatchApp.Envelope(messages: new JsonArray(DispatchApp.Text(phone[1..], "Yes!", app.Now))))).StatusCode);
        contact = await app.WithDbAsync(db => db.Contacts.Include(c => c.ConsentHistory).AsNoTracking().SingleAsync(c => c.Phone == phone));
        Assert.True(contact.OptedIn);
        Assert.Equal(ConsentSources.WhatsApp, contact.OptInSource);
        Assert.Null(contact.OptInRequestedAt);
        Assert.Contains(contact.ConsentHistory, c => c is { OptedIn: true, Pending: false, Source: ConsentSources.WhatsApp });

        // The confirmation is transactional: it does not use up the per-contact marketing cap.
        var after = await BroadcastAsync(app);
        Assert.True(1 == after.GetProperty("queued").GetInt32(), after.ToString());
        await app.DrainAsync();
        Assert.Equal(NudgeKinds.Campaign, SentToBot().Last().GetProperty("kind").GetString());

        // STOP still opts out.
        Assert.Equal(HttpStatusCode.OK, (await app.PostWebhookAsync(DispatchApp.Envelope(messages: new JsonArray(DispatchApp.Text(phone[1..], "STOP", app.Now.AddMinutes(1)))))).StatusCode);
        Assert.True((await app.LoadContactAsync(contact.Id)).OptedOut);
    }

    [Fact]
    public async Task Outside_webhook_mode_the_bot_callback_is_a_404_problem_and_changes_nothing()
    {
        await using var app = new DispatchApp(DispatchModes.Log, _bot);
        var response = await app.CreateClient().PostAsync("/api/whatsapp/confirm",
            new StringContent("""{"phone":"+4915112345679","reply":"YES"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await app.WithDbAsync(db => db.Contacts.CountAsync()));
    }

    [Fact]
    public async Task An_unanswered_request_expires_after_the_pending_hours_and_its_confirmation_is_not_sent_late()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot);
        app.Settings["Consent:PendingHours"] = "2";
        const string phone = "+4915112345672";
        _bot.Responder = (_, _) => (503, "down"); // the bot is down until the request has expired
        await CheckoutAsync(app, phone);
        await app.DispatchAsync();
        app.Clock.Advance(TimeSpan.FromHours(3));
        _bot.Responder = (_, _) => (200, "{}");
        _bot.Clear();
        await app.DrainAsync();

        Assert.Empty(SentToBot());
        var nudge = await app.WithDbAsync(db => db.Set<Nudge>().AsNoTracking().SingleAsync());
        Assert.Equal(NudgeStatuses.Suppressed, nudge.Status);
        Assert.False((await app.WithDbAsync(db => db.Contacts.AsNoTracking().SingleAsync())).OptedIn);
        Assert.Equal(0, (await BroadcastAsync(app)).GetProperty("queued").GetInt32());
    }

    [Fact]
    public async Task In_webhook_mode_the_bot_forwards_the_owners_yes_through_a_signed_callback_and_nothing_else_counts()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot);
        const string phone = "+4915112345673";
        await CheckoutAsync(app, phone);
        var client = app.CreateClient();
        async Task<HttpStatusCode> PostAsync(string json, string? signature)
        {
            using var content = new StringContent(json, Encoding.UTF8, "application/json");
            if (signature is not null) content.Headers.Add(WebhookNudgeDispatcher.SignatureHeader, signature);
            return (await client.PostAsync(BotReplyEndpoint.Path, content)).StatusCode;
        }
        var yes = $$"""{"phone":"{{phone}}","text":"YES"}""";

        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(yes, null));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(yes, WebhookNudgeDispatcher.Sign(Encoding.UTF8.GetBytes(yes), "not-the-secret-0123456789")));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(yes, WebhookNudgeDispatcher.Sign(Encoding.UTF8.GetBytes(yes + " "), DispatchApp.WebhookSecret)));
        var malformed = """{"phone":"not a phone","text":"YES"}""";
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(malformed, WebhookNudgeDispatcher.Sign(Encoding.UTF8.GetBytes(malformed), DispatchApp.WebhookSecret)));
        Assert.False((await app.WithDbAsync(db => db.Contacts.AsNoTracking().SingleAsync())).OptedIn);

        Assert.Equal(HttpStatusCode.OK, await PostAsync(yes, WebhookNudgeDispatcher.Sign(Encoding.UTF8.GetBytes(yes), DispatchApp.WebhookSecret)));
        var contact = await app.WithDbAsync(db => db.Contacts.AsNoTracking().SingleAsync());
        Assert.True(contact is { OptedIn: true, OptInSource: ConsentSources.WhatsApp, OptInRequestedAt: null });
    }

    [Fact]
    public async Task The_contacts_api_opt_in_stays_direct_and_records_its_source()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot);
        var response = await app.AdminClient().PostAsJsonAsync("/api/contacts/init", new { phone = "+4915112345674", name = "Amina", optIn = true });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var contact = await app.WithDbAsync(db => db.Contacts.Include(c => c.ConsentHistory).AsNoTracking().SingleAsync());
        Assert.True(contact is { OptedIn: true, OptInSource: ConsentSources.Api, OptInRequestedAt: null });
        Assert.True(Assert.Single(contact.ConsentHistory) is { OptedIn: true, Pending: false, Source: ConsentSources.Api });
        Assert.Equal(1, (await BroadcastAsync(app)).GetProperty("queued").GetInt32());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("721")]
    public async Task A_pending_time_out_of_range_stops_start_up_naming_the_key(string hours)
    {
        await using var app = new HappiTrackFactory();
        app.Settings["Consent:PendingHours"] = hours;
        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.Contains("Consent:PendingHours", error.ToString());
    }
}
