using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Crm;
using Microsoft.AspNetCore.Http.HttpResults;
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
        app.MapGet(Path, Verify).ExcludeFromDescription();
        app.MapPost(Path, ReceiveAsync).ExcludeFromDescription().DisableAntiforgery();
        return app;
    }

    private static Results<ContentHttpResult, ProblemHttpResult> Verify(HttpRequest request, IOptions<WhatsAppOptions> options, ILoggerFactory loggers)
    {
        var expected = options.Value.VerifyToken;
        string? mode = request.Query["hub.mode"], token = request.Query["hub.verify_token"], challenge = request.Query["hub.challenge"];
        if (string.IsNullOrEmpty(expected) || mode != "subscribe" || token is null || challenge is null || challenge.Length > 256
            || !FixedTimeEquals(token, expected))
        {
            loggers.CreateLogger(typeof(WhatsAppWebhookEndpoints)).LogWarning("WhatsApp webhook verification refused (mode {Mode})", mode);
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Verification failed.");
        }
        return TypedResults.Text(challenge, "text/plain", Encoding.UTF8);
    }

    private static async Task<Results<Ok, ProblemHttpResult>> ReceiveAsync(
        HttpRequest request, IOptions<WhatsAppOptions> options, WhatsAppWebhook webhook, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(WhatsAppWebhookEndpoints));
        var wa = options.Value;
        var body = await ReadBoundedAsync(request, wa.MaxWebhookBodyBytes, ct);
        if (body is null)
        {
            logger.LogWarning("WhatsApp webhook post refused: body over {Limit} bytes", wa.MaxWebhookBodyBytes);
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Body too large.");
        }
        string? signature = request.Headers[SignatureHeader];
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
    private static async Task<byte[]?> ReadBoundedAsync(HttpRequest request, int limit, CancellationToken ct)
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
/// </remarks>
public sealed class WhatsAppWebhook(AppDbContext db, TimeProvider clock, ILogger<WhatsAppWebhook> logger)
{
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
        { "STOP", "STOP ALL", "STOPALL", "STOPP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPT OUT", "OPTOUT", "ARRET", "ARRÊT", "ABMELDEN", "BAJA" };
    private static readonly HashSet<string> StartWords = new(StringComparer.Ordinal)
        { "START", "UNSTOP", "SUBSCRIBE", "OPT IN", "OPTIN", "ANMELDEN" };

    public async Task ApplyAsync(JsonObject envelope, CancellationToken ct)
    {
        // STOP and START are consent changes: they must outlive an OS crash, not only a process crash.
        await using var durable = await db.DurableWritesAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var value in Values(envelope))
        {
            foreach (var status in Items(value["statuses"])) await ApplyStatusAsync(status, now, ct);
            foreach (var message in Items(value["messages"])) await ApplyMessageAsync(message, now, ct);
        }
        await db.SaveChangesAsync(ct);
    }

    private static IEnumerable<JsonObject> Values(JsonObject envelope) =>
        Items(envelope["entry"]).SelectMany(e => Items(e["changes"])).Select(c => c["value"]).OfType<JsonObject>();

    private static IEnumerable<JsonObject> Items(JsonNode? node) => node is JsonArray array ? array.OfType<JsonObject>() : [];

    private async Task ApplyStatusAsync(JsonObject status, DateTime now, CancellationToken ct)
    {
        var wamid = Text(status["id"]);
        var kind = Text(status["status"]);
        if (kind is not (DeliveryStatuses.Sent or DeliveryStatuses.Delivered or DeliveryStatuses.Read or DeliveryStatuses.Failed)) return;
        var nudge = await FindNudgeAsync(wamid, Text(status["biz_opaque_callback_data"]), ct);
        if (nudge is null)
        {
            logger.LogInformation("WhatsApp status {Status} for an unknown message ignored", kind);
            return;
        }
        var at = Timestamp(status["timestamp"], now);
        if (wamid is not null && wamid.Length <= 128) nudge.ProviderMessageId ??= wamid;

        if (kind == DeliveryStatuses.Failed)
        {
            ApplyFailure(nudge, status, at);
            return;
        }
        if (nudge.Status != NudgeStatuses.Sent && nudge.Status is NudgeStatuses.Sending or NudgeStatuses.Failed or NudgeStatuses.Dead)
        {
            // WhatsApp has the message, whatever our side recorded: never send it again.
            nudge.Status = NudgeStatuses.Sent;
            nudge.SentAt ??= at;
            nudge.LeaseUntil = null;
            nudge.LastError = null;
        }
        if (kind == DeliveryStatuses.Delivered) nudge.DeliveredAt = Earliest(nudge.DeliveredAt, at);
        if (kind == DeliveryStatuses.Read) nudge.ReadAt = Earliest(nudge.ReadAt, at);
        if (DeliveryStatuses.Rank(kind) > DeliveryStatuses.Rank(nudge.DeliveryStatus)) nudge.DeliveryStatus = kind;
    }

    private void ApplyFailure(Nudge nudge, JsonObject status, DateTime at)
    {
        if (DeliveryStatuses.Rank(nudge.DeliveryStatus) > DeliveryStatuses.Rank(DeliveryStatuses.Failed))
        {
            logger.LogInformation("Nudge {NudgeId}: failed status after {Status} ignored", nudge.Id, nudge.DeliveryStatus);
            return;
        }
        var error = Items(status["errors"]).FirstOrDefault();
        var code = error?["code"]?.GetValueKind() == JsonValueKind.Number ? error["code"]!.GetValue<int>() : (int?)null;
        var description = $"WhatsApp failed{(code is null ? "" : $" {code}")}: {Text(error?["title"]) ?? Text(error?["message"]) ?? "no detail"}";
        if (description.Length > 1000) description = description[..1000];
        if (code == WhatsAppCloudDispatcher.MarketingLimitCode && nudge.FailedAt is null && nudge.DeliveryStatus is null or DeliveryStatuses.Sent)
        {
            nudge.Status = NudgeStatuses.Deferred;
            nudge.Reason = "marketing_limit";
            nudge.SendAfter = at + WhatsAppCloudDispatcher.MarketingLimitDeferral;
            nudge.SentAt = null;
            nudge.ProviderMessageId = null;
            nudge.DeliveryStatus = null;
            nudge.Attempts = Math.Max(0, nudge.Attempts - 1);
            logger.LogInformation("Nudge {NudgeId} hit the per-user marketing limit; deferred to {SendAfter:o}", nudge.Id, nudge.SendAfter);
            return;
        }
        nudge.FailedAt = Earliest(nudge.FailedAt, at);
        nudge.DeliveryStatus = DeliveryStatuses.Failed;
        nudge.LastError = description;
        logger.LogWarning("Nudge {NudgeId}: {Error}", nudge.Id, description);
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
        var from = Text(message["from"]);
        if (from is null || from.Length is 0 or > 15 || !from.All(char.IsAsciiDigit)) return;
        var phone = "+" + from;
        var contact = db.Contacts.Local.FirstOrDefault(c => c.Phone == phone)
            ?? await db.Contacts.FirstOrDefaultAsync(c => c.Phone == phone, ct);
        if (contact is null) return; // only people who gave us their number are contacts

        var at = Timestamp(message["timestamp"], now);
        contact.LastInboundAt = Latest(contact.LastInboundAt, at);

        var text = Text(message["text"]?["body"]) ?? Text(message["button"]?["text"]);
        var keyword = Normalize(text);
        if (keyword is null) return;
        var lastConsentChange = Latest(contact.OptedInAt, contact.OptedOutAt);
        if (lastConsentChange is { } changed && at < changed) return; // an older message than the current consent state
        if (StopWords.Contains(keyword))
        {
            contact.OptedOut = true;
            contact.OptedOutAt = at;
            var cancelled = await db.Set<Nudge>()
                .Where(n => n.ContactId == contact.Id && NudgeStatuses.Pending.Contains(n.Status))
                .ExecuteUpdateAsync(s => s.SetProperty(n => n.Status, NudgeStatuses.Cancelled).SetProperty(n => n.Reason, GuardReasons.OptedOut), ct);
            logger.LogInformation("Contact {ContactId} opted out by WhatsApp message; {Cancelled} waiting nudges cancelled", contact.Id, cancelled);
        }
        else if (StartWords.Contains(keyword))
        {
            contact.OptedOut = false;
            contact.OptedOutAt = null;
            contact.OptedIn = true;
            contact.OptedInAt = at;
            contact.OptInSource = "whatsapp";
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

    private static DateTime Earliest(DateTime? current, DateTime at) => current is { } c && c <= at ? c : at;
    private static DateTime? Latest(DateTime? a, DateTime? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
