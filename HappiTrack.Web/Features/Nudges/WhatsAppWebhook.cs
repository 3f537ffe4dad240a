using HappiTrack.Web.Infrastructure;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Nudges;

/// <summary>
/// Meta's webhook for the Cloud API. <c>GET</c> answers the subscription handshake; <c>POST</c>
/// accepts only bodies signed with the app secret (<c>X-Hub-Signature-256</c>, checked in constant
/// time over the raw bytes) and applies delivery statuses and inbound messages. Valid posts are
/// always answered 200, since Meta retries anything else for days.
/// </summary>
public static class WhatsAppWebhookEndpoints
{
    public const string Path = "/api/whatsapp/webhook";
    public const string SignatureHeader = "X-Hub-Signature-256";

    public static IEndpointRouteBuilder MapWhatsAppWebhook(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, Verify)
            .WithName("WhatsAppWebhookVerify")
            .WithTags("Webhooks")
            .WithSummary("Meta's subscription handshake: echoes hub.challenge when hub.verify_token is WhatsApp:VerifyToken")
            .Produces<string>(StatusCodes.Status200OK, "text/plain")
            .ProducesProblem(StatusCodes.Status403Forbidden);
        app.MapPost(Path, ReceiveAsync).DisableAntiforgery()
            .WithName("WhatsAppWebhook")
            .WithTags("Webhooks")
            .WithSummary("Meta's Cloud API notifications: delivery statuses and inbound messages (STOP, START, YES)")
            .WithDescription($"Signed by Meta: `{SignatureHeader}: sha256=<hex HMAC-SHA256 of the raw body with WhatsApp:AppSecret>`. " +
                "Every signed post is answered 200 (Meta retries anything else for days); malformed entries are skipped.")
            .DescribesBody<JsonObject>(contentTypes: "application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return app;
    }

    private static Results<ContentHttpResult, ProblemHttpResult> Verify(
        [FromQuery(Name = "hub.mode")] string? mode, [FromQuery(Name = "hub.verify_token")] string? token,
        [FromQuery(Name = "hub.challenge")] string? challenge, IOptions<WhatsAppOptions> options, ILoggerFactory loggers)
    {
        var expected = options.Value.VerifyToken;
        if (string.IsNullOrEmpty(expected) || mode != "subscribe" || token is null || challenge is null || challenge.Length > 256
            || !FixedTimeEquals(token, expected))
        {
            loggers.CreateLogger(typeof(WhatsAppWebhookEndpoints)).LogWarning("WhatsApp webhook verification refused (mode {Mode})", mode);
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Verification failed.");
        }
        return TypedResults.Text(challenge, "text/plain", Encoding.UTF8);
    }

    private static async Task<Results<Ok, ProblemHttpResult>> ReceiveAsync(
        HttpRequest request, [FromHeader(Name = SignatureHeader)] string? signature,
        IOptions<WhatsAppOptions> options, WhatsAppWebhook webhook, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(WhatsAppWebhookEndpoints));
        var wa = options.Value;
        var body = await ReadBoundedAsync(request, wa.MaxWebhookBodyBytes, ct);
        if (body is null)
        {
            logger.LogWarning("WhatsApp webhook post refused: body over {Limit} bytes", wa.MaxWebhookBodyBytes);
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Body too large.");
        }
        if (string.IsNullOrEmpty(signature))
        {
            logger.LogWarning("WhatsApp webhook post refused: no {Header}", SignatureHeader);
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Signature required.");
        }
        if (string.IsNullOrEmpty(wa.AppSecret) || !SignatureMatches(body, signature, wa.AppSecret))
        {
            logger.LogWarning("WhatsApp webhook post refused: bad signature{NotConfigured}", string.IsNullOrEmpty(wa.AppSecret) ? " (WhatsApp:AppSecret is not configured)" : "");
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Invalid signature.");
        }

        JsonNode? root;
        try { root = JsonNode.Parse(body); }
        catch (JsonException) { root = null; }
        if (root is not JsonObject envelope)
        {
            logger.LogWarning("WhatsApp webhook post ignored: signed but not a JSON object");
            return TypedResults.Ok();
        }
        await webhook.ApplyAsync(envelope, ct);
        return TypedResults.Ok();
    }

    /// <summary>The raw body, or null when it exceeds <paramref name="limit"/> (read no further than that).</summary>
    internal static async Task<byte[]?> ReadBoundedAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        if (request.ContentLength > limit) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    public static bool SignatureMatches(ReadOnlySpan<byte> body, string header, string secret)
    {
        const string prefix = "sha256=";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || header.Length != prefix.Length + 64) return false;
        byte[] presented;
        try { presented = Convert.FromHexString(header.AsSpan(prefix.Length)); }
        catch (FormatException) { return false; }
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body);
        return CryptographicOperations.FixedTimeEquals(presented, expected);
    }

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(a)), SHA256.HashData(Encoding.UTF8.GetBytes(b)));
}

/// <summary>
/// Applies a verified notification: delivery statuses to nudges, inbound messages to contacts.
/// </summary>
/// <remarks>
/// Statuses are idempotent and order-independent: each kind keeps its earliest timestamp, and the
/// visible <see cref="Nudge.DeliveryStatus"/> only moves up the rank sent → failed → delivered → read.
/// A <c>failed</c> after <c>delivered</c> or <c>read</c> is contradictory (the message reached the
/// phone) and is ignored; a failure for the per-user marketing limit (131049) puts the nudge back,
/// deferred by a day. Any accepted status also settles a nudge whose send outcome was unknown.
/// Consent from messages is ordered by the message's own time, so a late STOP cannot undo a newer START.
/// A status changes a nudge only when its <c>recipient_id</c> is the nudge's contact's number; an
/// entry with a malformed field is skipped and logged, the rest of the post still applies.
/// </remarks>
public sealed class WhatsAppWebhook(AppDbContext db, TimeProvider clock, ILogger<WhatsAppWebhook> logger)
{
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
        { "STOP", "STOP ALL", "STOPALL", "STOPP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPT OUT", "OPTOUT", "ARRET", "ARRÊT", "ABMELDEN", "BAJA" };
    private static readonly HashSet<string> StartWords = new(StringComparer.Ordinal)
        { "START", "UNSTOP", "SUBSCRIBE", "OPT IN", "OPTIN", "ANMELDEN", "YES", "JA" }; // YES answers the double opt-in confirmation

    public async Task ApplyAsync(JsonObject envelope, CancellationToken ct)
    {
        // STOP and START are consent changes: they must outlive an OS crash, not only a process crash.
        await using var durable = await db.DurableWritesAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        try
        {
            foreach (var value in Values(envelope))
            {
                foreach (var status in Items(value["statuses"]))
                    await SkipIfMalformedAsync("status", () => ApplyStatusAsync(status, now, ct));
                foreach (var message in Items(value["messages"]))
                    await SkipIfMalformedAsync("message", () => ApplyMessageAsync(message, now, ct));
            }
        }
        catch (Exception e) when (IsMalformed(e))
        {
            // The envelope itself (e.g. a duplicated key): keep what was applied, skip the rest.
            logger.LogWarning("WhatsApp webhook post partly skipped: malformed envelope ({Error})", e.GetType().Name);
        }
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Fields are read with the safe accessors below before anything changes, so a field of the wrong
    /// shape or range skips its own entry; this catches what they miss. Meta retries a 5xx for days,
    /// and one bad entry must not block the good ones posted with it.
    /// </summary>
    private async Task SkipIfMalformedAsync(string kind, Func<Task> apply)
    {
        try
        {
            await apply();
        }
        catch (Exception e) when (IsMalformed(e))
        {
            // Not the entry itself: it carries phone numbers (which never go to the logs in full), and an
            // entry with a duplicated key cannot even be written back out.
            logger.LogWarning("WhatsApp webhook {Kind} skipped: malformed ({Error})", kind, e.GetType().Name);
        }
    }

    private static bool IsMalformed(Exception e) =>
        e is InvalidOperationException or FormatException or OverflowException or ArgumentException or JsonException;

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length] + "…";

    private static IEnumerable<JsonObject> Values(JsonObject envelope) =>
        Items(envelope["entry"]).SelectMany(e => Items(e["changes"])).Select(c => c["value"]).OfType<JsonObject>();

    private static IEnumerable<JsonObject> Items(JsonNode? node) => node is JsonArray array ? array.OfType<JsonObject>() : [];

    private async Task ApplyStatusAsync(JsonObject status, DateTime now, CancellationToken ct)
    {
        var wamid = Text(status["id"]);
        var kind = Text(status["status"]);
        if (kind is not (DeliveryStatuses.Sent or DeliveryStatuses.Delivered or DeliveryStatuses.Read or DeliveryStatuses.Failed)) return;
        if (Child(Items(status["errors"]).FirstOrDefault(), "code") is { } rawCode && Int(rawCode) is null)
        {
            logger.LogWarning("WhatsApp webhook status skipped: errors[0].code {Code} is not an error code", Truncate(rawCode.ToJsonString(), 40));
            return;
        }
        var nudge = await FindNudgeAsync(wamid, Text(status["biz_opaque_callback_data"]), ct);
        if (nudge is null)
        {
            logger.LogInformation("WhatsApp status {Status} for an unknown message ignored", kind);
            return;
        }
        if (!await RecipientMatchesAsync(nudge, status["recipient_id"], ct))
        {
            logger.LogWarning("WhatsApp status {Status} for nudge {NudgeId} ignored: recipient_id is not the nudge's contact", kind, nudge.Id);
            return;
        }
        var at = Timestamp(status["timestamp"], now);
        if (wamid is not null && wamid.Length <= 128) nudge.ProviderMessageId ??= wamid;

        if (kind == DeliveryStatuses.Failed)
        {
            ApplyFailure(nudge, status, at);
            return;
        }
        nudge.RecordDelivery(kind, at);
    }

    private void ApplyFailure(Nudge nudge, JsonObject status, DateTime at)
    {
        if (DeliveryStatuses.Rank(nudge.DeliveryStatus) > DeliveryStatuses.Rank(DeliveryStatuses.Failed))
        {
            logger.LogInformation("Nudge {NudgeId}: failed status after {Status} ignored", nudge.Id, nudge.DeliveryStatus);
            return;
        }
        var error = Items(status["errors"]).FirstOrDefault();
        var code = Int(error?["code"]);
        var description = $"WhatsApp failed{(code is null ? "" : $" {code}")}: {Text(error?["title"]) ?? Text(error?["message"]) ?? "no detail"}";
        if (code == WhatsAppCloudDispatcher.MarketingLimitCode && nudge.FailedAt is null && nudge.DeliveryStatus is null or DeliveryStatuses.Sent)
        {
            nudge.DeferByChannel(at + WhatsAppCloudDispatcher.MarketingLimitDeferral, NudgeReasons.MarketingLimit);
            logger.LogInformation("Nudge {NudgeId} hit the per-user marketing limit; deferred to {SendAfter:o}", nudge.Id, nudge.SendAfter);
            return;
        }
        nudge.RecordDeliveryFailure(description, at);
        logger.LogWarning("Nudge {NudgeId}: {Error}", nudge.Id, nudge.LastError);
    }

    /// <summary>
    /// A status must be about the number the nudge went to: <c>recipient_id</c> (WhatsApp's id, the
    /// number's digits) against the contact's E.164 phone without its '+'. Missing counts as no match.
    /// </summary>
    private async Task<bool> RecipientMatchesAsync(Nudge nudge, JsonNode? recipientNode, CancellationToken ct)
    {
        var recipient = Text(recipientNode);
        if (recipient is null || recipient.Length is 0 or > 15 || !recipient.All(char.IsAsciiDigit)) return false;
        var phone = db.Contacts.Local.FirstOrDefault(c => c.Id == nudge.ContactId)?.Phone
            ?? await db.Contacts.Where(c => c.Id == nudge.ContactId).Select(c => c.Phone).FirstOrDefaultAsync(ct);
        return phone is not null && phone.Length > 1 && phone[0] == '+' && phone.AsSpan(1).SequenceEqual(recipient);
    }

    private async Task<Nudge?> FindNudgeAsync(string? wamid, string? callbackData, CancellationToken ct)
    {
        if (wamid is not null)
        {
            var byWamid = db.Set<Nudge>().Local.FirstOrDefault(n => n.ProviderMessageId == wamid)
                ?? await db.Set<Nudge>().FirstOrDefaultAsync(n => n.ProviderMessageId == wamid, ct);
            if (byWamid is not null) return byWamid;
        }
        if (callbackData is not null && callbackData.StartsWith(WhatsAppCloudDispatcher.CallbackPrefix, StringComparison.Ordinal)
            && int.TryParse(callbackData.AsSpan(WhatsAppCloudDispatcher.CallbackPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            var byId = await db.Set<Nudge>().FindAsync([id], ct);
            // A wamid recorded for another message means this callback data is not about this send.
            if (byId is not null && (byId.ProviderMessageId is null || byId.ProviderMessageId == wamid)) return byId;
        }
        return null;
    }

    private async Task ApplyMessageAsync(JsonObject message, DateTime now, CancellationToken ct)
    {
        if (message["text"] is { } t && t is not JsonObject || message["button"] is { } b && b is not JsonObject)
        {
            logger.LogWarning("WhatsApp webhook message skipped: text or button is not an object");
            return;
        }
        var from = Text(message["from"]);
        if (from is null || from.Length is 0 or > 15 || !from.All(char.IsAsciiDigit)) return;
        var at = Timestamp(message["timestamp"], now);
        var text = Text(Child(message["text"], "body")) ?? Text(Child(message["button"], "text"));
        await ApplyReplyAsync("+" + from, text, at, ct);
    }

    /// <summary>
    /// A message the number's owner sent us (Meta's webhook, or the bot's signed callback in Webhook
    /// mode): STOP opts out, START or YES opts in (also the answer to the double opt-in confirmation).
    /// The caller saves.
    /// </summary>
    public async Task ApplyReplyAsync(string phone, string? text, DateTime at, CancellationToken ct)
    {
        var contact = db.Contacts.Local.FirstOrDefault(c => c.Phone == phone)
            ?? await db.Contacts.FirstOrDefaultAsync(c => c.Phone == phone, ct);
        if (contact is null) return; // only people who gave us their number are contacts

        contact.LastInboundAt = Latest(contact.LastInboundAt, at);

        var keyword = Normalize(text);
        if (keyword is null) return;
        var lastConsentChange = Latest(contact.OptedInAt, contact.OptedOutAt);
        if (lastConsentChange is { } changed && at < changed) return; // an older message than the current consent state
        if (StopWords.Contains(keyword))
        {
            contact.OptOut(ConsentSources.WhatsApp, at);
            var cancelled = await db.Set<Nudge>().Where(n => n.ContactId == contact.Id).CancelWaitingAsync(GuardReasons.OptedOut, ct);
            logger.LogInformation("Contact {ContactId} opted out by WhatsApp message; {Cancelled} waiting nudges cancelled", contact.Id, cancelled);
        }
        else if (StartWords.Contains(keyword))
        {
            contact.OptIn(ConsentSources.WhatsApp, at);
            logger.LogInformation("Contact {ContactId} opted in by WhatsApp message", contact.Id);
        }
    }

    /// <summary>Upper-case, trimmed, trailing punctuation and inner runs of spaces removed: "Stop!" and " stop  all " match.</summary>
    public static string? Normalize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 40) return null;
        var words = text.Trim().TrimEnd('.', '!', '?', ' ').ToUpperInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return string.Join(' ', words);
    }

    public static bool IsStop(string? text) => Normalize(text) is { } k && StopWords.Contains(k);
    public static bool IsStart(string? text) => Normalize(text) is { } k && StartWords.Contains(k);

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;

    /// <summary>An integer that fits an int; null for anything else (1.5, 99999999999, "131049", an object).</summary>
    private static int? Int(JsonNode? node) => node is JsonValue value && value.TryGetValue<int>(out var i) ? i : null;

    /// <summary><c>node[name]</c> when node is an object; the indexer throws on arrays and strings.</summary>
    private static JsonNode? Child(JsonNode? node, string name) => node is JsonObject o ? o[name] : null;

    /// <summary>Meta sends Unix seconds as a string; a missing or absurd one (beyond our clock) is read as now.</summary>
    private static DateTime Timestamp(JsonNode? node, DateTime now)
    {
        if (long.TryParse(Text(node), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and < 253_402_300_799)
        {
            var at = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime;
            return at > now ? now : at;
        }
        return now;
    }

    private static DateTime? Latest(DateTime? a, DateTime? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
