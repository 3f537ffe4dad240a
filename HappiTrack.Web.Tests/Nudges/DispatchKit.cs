using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HappiTrack.Web.Tests.Dispatch;

/// <summary>The real app configured to dispatch to a <see cref="TestBotServer"/>, with tiny HTTP retry delays.</summary>
internal sealed class DispatchApp : HappiTrackFactory
{
    public const string WebhookSecret = "test-webhook-secret-0123456789";
    public const string AppSecret = "test-meta-app-secret";
    public const string VerifyToken = "test-verify-token";
    public const string PhoneNumberId = "106540352242922";
    public const string AccessToken = "EAAtest-access-token";
    public const string AdminToken = "test-admin-token-0123456789";

    public DispatchApp(string mode, TestBotServer bot, int httpRetries = 2)
    {
        Settings["Dispatch:Mode"] = mode;
        Settings["Dispatch:Webhook:Url"] = new Uri(bot.BaseAddress, "/bot/nudges").ToString();
        Settings["Dispatch:Webhook:Secret"] = WebhookSecret;
        Settings["Dispatch:Http:RetryCount"] = httpRetries.ToString();
        Settings["Dispatch:Http:RetryBaseDelay"] = "00:00:00.002";
        Settings["Dispatch:Http:AttemptTimeout"] = "00:00:05";
        Settings["Dispatch:Http:TotalTimeout"] = "00:00:20";
        Settings["WhatsApp:BaseUrl"] = new Uri(bot.BaseAddress, "/v21.0").ToString();
        Settings["WhatsApp:PhoneNumberId"] = PhoneNumberId;
        Settings["WhatsApp:AccessToken"] = AccessToken;
        Settings["WhatsApp:AppSecret"] = AppSecret;
        Settings["WhatsApp:VerifyToken"] = VerifyToken;
        Settings["Shop:PublicBaseUrl"] = "https://shop.example";
        Settings["Admin:ApiToken"] = AdminToken;
    }

    public DateTime Now => Clock.GetUtcNow().UtcDateTime;

    /// <summary>Every log line the app wrote, with its exception, to check what leaks into logs.</summary>
    public ConcurrentQueue<string> Log { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(logging => logging.AddProvider(new CapturingLoggerProvider(Log)));
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> sink) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;
        public void Dispose() { }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Enqueue(formatter(state, exception) + " " + exception);
    }

    public async Task<Contact> ContactAsync(string phone, string name = "Amina", bool optedIn = true, DateTime? lastInboundAt = null)
    {
        var contact = new Contact
        {
            Phone = phone, Name = name, LinkToken = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)),
            CreatedAt = Now, OptedIn = optedIn, OptedInAt = optedIn ? Now : null, OptInSource = "api", LastInboundAt = lastInboundAt,
        };
        await WithDbAsync(async db => { db.Contacts.Add(contact); await db.SaveChangesAsync(); });
        return contact;
    }

    /// <summary>A queued nudge as the outbox writes it (the guards already said send).</summary>
    public async Task<Nudge> NudgeAsync(int contactId, string kind = NudgeKinds.Campaign, string? productSlug = null, string? token = null)
    {
        var code = NudgeOutbox.NewCode();
        var nudge = new Nudge
        {
            ContactId = contactId, Kind = kind, Status = NudgeStatuses.Queued, DedupKey = "test:" + code, Code = code,
            Link = $"https://shop.example/r/{code}", Message = $"Hi! A little something for you: https://shop.example/r/{code}",
            TokenValue = token, CreatedAt = Now, SendAfter = Now,
        };
        await WithDbAsync(async db =>
        {
            if (productSlug is not null) nudge.ProductId = await db.Products.Where(p => p.Slug == productSlug).Select(p => p.Id).FirstAsync();
            db.Add(nudge);
            await db.SaveChangesAsync();
        });
        return nudge;
    }

    /// <summary>Many opted-in contacts with one queued nudge each, in one transaction.</summary>
    public Task<List<int>> NudgesForNewContactsAsync(int count) =>
        WithDbAsync(db => QueuedNudges.ForNewContactsAsync(db, count, Now, i => $"+49151{20000000 + i}", "bulk"));

    public HttpClient AdminClient() => CreateClient().WithBearer(AdminToken);

    public Task<Nudge> LoadAsync(int nudgeId) =>
        WithDbAsync(db => db.Set<Nudge>().AsNoTracking().FirstAsync(n => n.Id == nudgeId));

    public Task<Contact> LoadContactAsync(int contactId) =>
        WithDbAsync(db => db.Contacts.AsNoTracking().FirstAsync(c => c.Id == contactId));

    /// <summary>A queued nudge for a new contact, sent through the Cloud API bot, which answers with message id <paramref name="wamid"/>.</summary>
    public async Task<Nudge> SentNudgeAsync(TestBotServer bot, string phone, string wamid)
    {
        var contact = await ContactAsync(phone);
        var nudge = await NudgeAsync(contact.Id);
        bot.Responder = (_, _) => (200, $$"""{"messages":[{"id":"{{wamid}}"}]}""");
        Assert.Equal(1, await DispatchAsync());
        return nudge;
    }

    public async Task<int> DispatchAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<OutboxProcessor>().RunAsync();
    }

    /// <summary>
    /// Runs the outbox until nothing is waiting, jumping the fake clock to the next due nudge each
    /// time (never earlier), as the recurring job would over hours of real time.
    /// </summary>
    public async Task DrainAsync(int maxRounds = 1000)
    {
        for (var round = 0; round < maxRounds; round++)
        {
            await DispatchAsync();
            var next = await WithDbAsync(db => db.Set<Nudge>()
                .Where(n => n.Status == NudgeStatuses.Queued || n.Status == NudgeStatuses.Deferred || n.Status == NudgeStatuses.Failed)
                .OrderBy(n => n.SendAfter).Select(n => (DateTime?)n.SendAfter).FirstOrDefaultAsync());
            if (next is null) return;
            if (next > Now) Clock.SetUtcNow(new DateTimeOffset(next.Value, TimeSpan.Zero));
        }
        throw new InvalidOperationException("The outbox did not drain.");
    }

    /// <summary>Posts a Meta-style notification, signed as Meta signs it (or not, or wrongly).</summary>
    public async Task<HttpResponseMessage> PostWebhookAsync(string json, string? signature = null, bool sign = true)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (signature is not null) content.Headers.Add(WhatsAppWebhookEndpoints.SignatureHeader, signature);
        else if (sign) content.Headers.Add(WhatsAppWebhookEndpoints.SignatureHeader, MetaSignature(json));
        return await CreateClient().PostAsync(WhatsAppWebhookEndpoints.Path, content);
    }

    public static string MetaSignature(string json) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(AppSecret), Encoding.UTF8.GetBytes(json)));

    public static long Unix(DateTime utc) => new DateTimeOffset(utc, TimeSpan.Zero).ToUnixTimeSeconds();

    /// <summary>Meta's envelope: entry[].changes[].value with statuses and/or messages.</summary>
    public static string Envelope(JsonArray? statuses = null, JsonArray? messages = null)
    {
        var value = new JsonObject
        {
            ["messaging_product"] = "whatsapp",
            ["metadata"] = new JsonObject { ["display_phone_number"] = "15550001111", ["phone_number_id"] = PhoneNumberId },
        };
        if (statuses is not null) value["statuses"] = statuses;
        if (messages is not null) value["messages"] = messages;
        return new JsonObject
        {
            ["object"] = "whatsapp_business_account",
            ["entry"] = new JsonArray(new JsonObject
            {
                ["id"] = "102290129340398",
                ["changes"] = new JsonArray(new JsonObject { ["field"] = "messages", ["value"] = value }),
            }),
        }.ToJsonString();
    }

    public static JsonObject Status(string wamid, string status, DateTime at, string recipient, int? nudgeId = null, int? errorCode = null)
    {
        var s = new JsonObject
        {
            ["id"] = wamid, ["status"] = status, ["timestamp"] = Unix(at).ToString(), ["recipient_id"] = recipient,
        };
        if (nudgeId is not null) s["biz_opaque_callback_data"] = WhatsAppCloudDispatcher.CallbackData(nudgeId.Value);
        if (errorCode is not null) s["errors"] = new JsonArray(new JsonObject { ["code"] = errorCode, ["title"] = "Test failure" });
        return s;
    }

    public static JsonObject Text(string from, string body, DateTime at) => new()
    {
        ["from"] = from, ["id"] = "wamid.in" + Guid.NewGuid().ToString("N"), ["timestamp"] = Unix(at).ToString(),
        ["type"] = "text", ["text"] = new JsonObject { ["body"] = body },
    };
}
