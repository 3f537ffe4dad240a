using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HappiTrack.Web.Features.Contacts;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace HappiTrack.Web.Features.Nudges;

/// <summary>
/// <c>Dispatch:Mode=Webhook</c>: POSTs the nudge as JSON to the bot, signed with
/// <c>X-HappiTrack-Signature: sha256=&lt;hex HMAC-SHA256 of the exact body bytes&gt;</c> and carrying
/// <c>Idempotency-Key: &lt;nudge id&gt;</c>, identical on every retry, so the bot can drop a resend.
/// </summary>
public sealed class WebhookNudgeDispatcher(HttpClient http, IOptions<DispatchOptions> options, ILogger<WebhookNudgeDispatcher> logger) : INudgeDispatcher
{
    public const string SignatureHeader = "X-HappiTrack-Signature";
    public const string IdempotencyHeader = "Idempotency-Key";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<DispatchResult> SendAsync(OutgoingMessage message, CancellationToken ct)
    {
        var webhook = options.Value.Webhook;
        var body = JsonSerializer.SerializeToUtf8Bytes(new WebhookNudge(
            message.NudgeId, message.Kind, new WebhookContact(message.Phone, message.Name), message.Text, message.Link,
            message.Token, message.Product, message.Cart), Json);

        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(SignatureHeader, Sign(body, webhook.Secret!));
        request.Headers.Add(IdempotencyHeader, message.NudgeId.ToString(CultureInfo.InvariantCulture));

        var result = await HttpDispatch.SendAsync(http, request, ct);
        if (result.Response is not { } response) return DispatchResult.Fail(result.Error!);
        using (response)
        {
            if (response.IsSuccessStatusCode) return DispatchResult.Ok;
            var error = $"Webhook answered HTTP {(int)response.StatusCode}";
            logger.LogWarning("Nudge {NudgeId}: {Error}", message.NudgeId, error);
            return HttpDispatch.IsTransient(response.StatusCode) ? DispatchResult.Fail(error) : DispatchResult.Reject(error);
        }
    }

    public static string Sign(ReadOnlySpan<byte> body, string secret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    private sealed record WebhookContact(string Phone, string? Name);

    private sealed record WebhookNudge(
        int NudgeId, string Kind, WebhookContact Contact, string Message, string Link, string? Token,
        ProductSummary? Product, IReadOnlyList<CartLineSummary>? Cart);
}

/// <summary>
/// <c>Dispatch:Mode=WhatsAppCloud</c>: Meta's Cloud API, <c>POST {BaseUrl}/{PhoneNumberId}/messages</c>.
/// Inside the 24 h customer-service window (the contact wrote to us) a text message with the link;
/// outside it only an approved template may be sent. The returned <c>wamid</c> is kept so delivery
/// statuses can be matched, and <c>biz_opaque_callback_data</c> carries the nudge id as a fallback.
/// </summary>
/// <remarks>
/// The Cloud API has no idempotency key, so a resend after an unknown outcome could deliver twice:
/// <see cref="ResendIsSafe"/> is false and such nudges are dead-lettered for an admin instead.
/// Residual risk: an HTTP-level retry after a per-try timeout or a 5xx that Meta had in fact
/// accepted sends a second copy. The window is one request long; a status for the first copy
/// (matched by <c>biz_opaque_callback_data</c>) still settles the nudge as sent.
/// </remarks>
public sealed partial class WhatsAppCloudDispatcher(
    HttpClient http, IOptions<WhatsAppOptions> options, TimeProvider clock, ILogger<WhatsAppCloudDispatcher> logger) : INudgeDispatcher
{
    public static readonly TimeSpan ServiceWindow = TimeSpan.FromHours(24);
    /// <summary>Meta's per-user marketing limit: the message was not sent; try again a day later.</summary>
    public const int MarketingLimitCode = 131049;
    public static readonly TimeSpan MarketingLimitDeferral = TimeSpan.FromHours(24);
    /// <summary>Rate limits and "temporarily unavailable" that Meta may report with a 400: worth a later attempt.</summary>
    private static readonly HashSet<int> TransientErrorCodes = [4, 80007, 130429, 131016, 131056, 133004];

    public bool ResendIsSafe => false;

    public async Task<DispatchResult> SendAsync(OutgoingMessage message, CancellationToken ct)
    {
        var wa = options.Value;
        var now = clock.GetUtcNow().UtcDateTime;
        var payload = InsideServiceWindow(message.LastInboundAt, now) ? TextPayload(message) : TemplatePayload(message, wa.Template);

        using var request = new HttpRequestMessage(HttpMethod.Post, $"{wa.BaseUrl.TrimEnd('/')}/{wa.PhoneNumberId}/messages")
        {
            Content = new StringContent(payload.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", wa.AccessToken);

        var result = await HttpDispatch.SendAsync(http, request, ct);
        if (result.Response is not { } response) return DispatchResult.Fail(result.Error!);
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
            {
                var wamid = TryParse(text)?["messages"]?[0]?["id"]?.GetValue<string>();
                if (wamid is null) logger.LogWarning("Nudge {NudgeId}: the Cloud API accepted it without a message id", message.NudgeId);
                return DispatchResult.Accepted(wamid);
            }

            var error = TryParse(text)?["error"];
            var code = error?["code"]?.GetValueKind() == JsonValueKind.Number ? error["code"]!.GetValue<int>() : (int?)null;
            var description = $"Cloud API HTTP {(int)response.StatusCode}" + (code is null ? "" : $" error {code}")
                + (error?["message"]?.GetValueKind() == JsonValueKind.String ? ": " + error["message"]!.GetValue<string>() : "");
            logger.LogWarning("Nudge {NudgeId} to {Phone}: {Error}", message.NudgeId, PhoneNumber.Mask(message.Phone), description);
            if (code == MarketingLimitCode) return DispatchResult.Defer(MarketingLimitDeferral, "marketing_limit");
            if (HttpDispatch.IsTransient(response.StatusCode) || code is { } c && TransientErrorCodes.Contains(c)) return DispatchResult.Fail(description);
            return DispatchResult.Reject(description);
        }
    }

    public static bool InsideServiceWindow(DateTime? lastInboundAt, DateTime now) =>
        lastInboundAt is { } at && now - at < ServiceWindow;

    public static JsonObject TextPayload(OutgoingMessage message) => new()
    {
        ["messaging_product"] = "whatsapp",
        ["recipient_type"] = "individual",
        ["to"] = WaId(message.Phone),
        ["type"] = "text",
        ["text"] = new JsonObject { ["preview_url"] = true, ["body"] = message.Text },
        ["biz_opaque_callback_data"] = CallbackData(message.NudgeId),
    };

    public static JsonObject TemplatePayload(OutgoingMessage message, WhatsAppTemplateOptions template)
    {
        var components = new JsonArray();
        if (template.BodyParameters.Count > 0)
        {
            components.Add(new JsonObject
            {
                ["type"] = "body",
                ["parameters"] = new JsonArray(template.BodyParameters
                    .Select(p => (JsonNode)new JsonObject { ["type"] = "text", ["text"] = TemplateText(ParameterValue(p, message)) }).ToArray()),
            });
        }
        if (template.UrlButtonIndex is { } index && message.Code is not null)
        {
            components.Add(new JsonObject
            {
                ["type"] = "button",
                ["sub_type"] = "url",
                ["index"] = index.ToString(CultureInfo.InvariantCulture),
                ["parameters"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = message.Code }),
            });
        }
        return new JsonObject
        {
            ["messaging_product"] = "whatsapp",
            ["recipient_type"] = "individual",
            ["to"] = WaId(message.Phone),
            ["type"] = "template",
            ["template"] = new JsonObject
            {
                ["name"] = template.NamesByKind.GetValueOrDefault(message.Kind, template.Name),
                ["language"] = new JsonObject { ["code"] = template.Language },
                ["components"] = components,
            },
            ["biz_opaque_callback_data"] = CallbackData(message.NudgeId),
        };
    }

    public const string CallbackPrefix = "nudge:";
    public static string CallbackData(int nudgeId) => CallbackPrefix + nudgeId.ToString(CultureInfo.InvariantCulture);

    /// <summary>WhatsApp ids are the E.164 number without the '+'.</summary>
    public static string WaId(string e164) => NonDigits().Replace(e164, "");

    private static string ParameterValue(string parameter, OutgoingMessage message) => parameter switch
    {
        "name" => string.IsNullOrWhiteSpace(message.Name) ? "there" : message.Name,
        "message" => message.Text,
        "link" => message.Link,
        "product" => message.Product?.Name ?? "your picks",
        "code" => message.Code ?? "",
        _ => "",
    };

    /// <summary>Template parameters may not contain new lines, tabs or more than four spaces in a row.</summary>
    private static string TemplateText(string value) => Whitespace().Replace(value, " ").Trim();

    private static JsonNode? TryParse(string text)
    {
        try { return JsonNode.Parse(text); }
        catch (JsonException) { return null; }
    }

    [GeneratedRegex("[^0-9]")]
    private static partial Regex NonDigits();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}

/// <summary>What both HTTP dispatchers share: which failures are worth another attempt.</summary>
internal static class HttpDispatch
{
    public sealed record Outcome(HttpResponseMessage? Response, string? Error);

    /// <summary>The response, or why there is none (network error, timeout): always worth a later attempt.</summary>
    public static async Task<Outcome> SendAsync(HttpClient http, HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            return new Outcome(await http.SendAsync(request, ct), null);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or BrokenCircuitException
                                      || e is TaskCanceledException && !ct.IsCancellationRequested)
        {
            return new Outcome(null, e.GetType().Name + ": " + e.Message);
        }
    }

    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)status >= 500;
}
