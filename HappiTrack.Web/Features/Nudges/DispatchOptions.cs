using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Nudges;

/// <summary>
/// The <c>Dispatch</c> configuration section: which channel sends nudges and how its HTTP calls are
/// retried. Secrets in here are never logged (the options are not formatted anywhere).
/// </summary>
public sealed class DispatchOptions
{
    public const string Section = "Dispatch";

    public string Mode { get; set; } = DispatchModes.Log;
    /// <summary>
    /// How long a claimed nudge belongs to its processor. A crash mid-send leaves the nudge claimed
    /// until the lease runs out, so this is also how long such a nudge waits before it is retried.
    /// </summary>
    public TimeSpan Lease { get; set; } = OutboxProcessor.Lease;
    public WebhookOptions Webhook { get; set; } = new();
    public DispatchHttpOptions Http { get; set; } = new();
}

public sealed class WebhookOptions
{
    public string? Url { get; set; }
    public string? Secret { get; set; }
}

/// <summary>
/// Retries inside one outbox attempt, for transient failures (429, 5xx, 408, connection errors,
/// attempt timeouts): exponential backoff with jitter, honouring Retry-After. The outbox's own
/// attempts come on top, so one nudge costs at most MaxAttempts × (1 + RetryCount) requests.
/// </summary>
public sealed class DispatchHttpOptions
{
    public int RetryCount { get; set; } = 2;
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Must stay well under the outbox lease, or a slow send could be claimed twice.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(45);
}

/// <summary>The <c>WhatsApp</c> section: Cloud API sending and the webhook that reports back.</summary>
public sealed class WhatsAppOptions
{
    public const string Section = "WhatsApp";
    public const string DefaultBaseUrl = "https://graph.facebook.com/v21.0";

    public string BaseUrl { get; set; } = DefaultBaseUrl;
    public string? PhoneNumberId { get; set; }
    public string? AccessToken { get; set; }
    public string? AppSecret { get; set; }
    public string? VerifyToken { get; set; }
    public WhatsAppTemplateOptions Template { get; set; } = new();
    /// <summary>Meta's notifications are a few KB; anything far larger is not from Meta.</summary>
    public int MaxWebhookBodyBytes { get; set; } = 256 * 1024;
}

/// <summary>
/// The approved template sent outside the 24 h window. Body parameters are nudge fields in order
/// (<c>name</c>, <c>message</c>, <c>link</c>, <c>product</c>, <c>code</c>); the URL button's
/// dynamic suffix is the nudge's link code, for a button URL like <c>https://shop/r/{{1}}</c>.
/// </summary>
public sealed class WhatsAppTemplateOptions
{
    public static readonly string[] KnownParameters = ["name", "message", "link", "product", "code"];

    public string Name { get; set; } = "happitrack_nudge";
    public string Language { get; set; } = "en";
    public List<string> BodyParameters { get; set; } = ["name", "message"];
    /// <summary>Index of the URL button with a dynamic suffix; null when the template has none.</summary>
    public int? UrlButtonIndex { get; set; } = 0;
    /// <summary>Per nudge kind, a different approved template name (e.g. <c>vip_upgrade</c>).</summary>
    public Dictionary<string, string> NamesByKind { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>Start-up checks: a chosen mode without its settings fails with a message naming the missing keys.</summary>
internal sealed class DispatchOptionsValidator(IOptions<WhatsAppOptions> whatsApp) : IValidateOptions<DispatchOptions>
{
    public ValidateOptionsResult Validate(string? name, DispatchOptions options)
    {
        var errors = new List<string>();
        if (!DispatchModes.All.Contains(options.Mode))
            errors.Add($"Dispatch:Mode '{options.Mode}' is not supported; use one of {string.Join(", ", DispatchModes.All)}.");
        if (options.Mode == DispatchModes.Webhook)
        {
            if (!IsHttpUrl(options.Webhook.Url)) errors.Add("Dispatch:Mode is Webhook but Dispatch:Webhook:Url is missing or not an absolute http(s) URL.");
            if (string.IsNullOrWhiteSpace(options.Webhook.Secret)) errors.Add("Dispatch:Mode is Webhook but Dispatch:Webhook:Secret is missing.");
            else if (options.Webhook.Secret.Length < 16) errors.Add("Dispatch:Webhook:Secret must be at least 16 characters.");
        }
        if (options.Mode == DispatchModes.WhatsAppCloud)
        {
            var wa = whatsApp.Value;
            if (!IsHttpUrl(wa.BaseUrl)) errors.Add("WhatsApp:BaseUrl must be an absolute http(s) URL.");
            if (string.IsNullOrWhiteSpace(wa.PhoneNumberId)) errors.Add("Dispatch:Mode is WhatsAppCloud but WhatsApp:PhoneNumberId is missing.");
            else if (!wa.PhoneNumberId.All(char.IsAsciiDigit)) errors.Add("WhatsApp:PhoneNumberId must be the numeric id Meta shows, not the phone number.");
            if (string.IsNullOrWhiteSpace(wa.AccessToken)) errors.Add("Dispatch:Mode is WhatsAppCloud but WhatsApp:AccessToken is missing.");
            // Without these the statuses and STOP messages Meta sends back could not be accepted.
            if (string.IsNullOrWhiteSpace(wa.AppSecret)) errors.Add("Dispatch:Mode is WhatsAppCloud but WhatsApp:AppSecret (webhook signatures) is missing.");
            if (string.IsNullOrWhiteSpace(wa.VerifyToken)) errors.Add("Dispatch:Mode is WhatsAppCloud but WhatsApp:VerifyToken (webhook handshake) is missing.");
            if (string.IsNullOrWhiteSpace(wa.Template.Name) || string.IsNullOrWhiteSpace(wa.Template.Language))
                errors.Add("WhatsApp:Template:Name and WhatsApp:Template:Language are required.");
            foreach (var parameter in wa.Template.BodyParameters.Where(p => !WhatsAppTemplateOptions.KnownParameters.Contains(p)))
                errors.Add($"WhatsApp:Template:BodyParameters has '{parameter}'; use {string.Join(", ", WhatsAppTemplateOptions.KnownParameters)}.");
        }
        var http = options.Http;
        if (http.RetryCount is < 0 or > 10) errors.Add("Dispatch:Http:RetryCount must be between 0 and 10.");
        if (http.RetryBaseDelay < TimeSpan.Zero || http.RetryBaseDelay > TimeSpan.FromMinutes(1)) errors.Add("Dispatch:Http:RetryBaseDelay must be between 0 and 1 minute.");
        if (http.AttemptTimeout <= TimeSpan.Zero || http.AttemptTimeout > http.TotalTimeout) errors.Add("Dispatch:Http:AttemptTimeout must be positive and at most Dispatch:Http:TotalTimeout.");
        if (options.Lease < TimeSpan.FromSeconds(2) || options.Lease > TimeSpan.FromHours(1))
            errors.Add("Dispatch:Lease must be between 2 seconds and 1 hour.");
        else if (http.TotalTimeout > options.Lease / 2)
            errors.Add($"Dispatch:Http:TotalTimeout must be at most {(options.Lease / 2).TotalSeconds:0.#} s (half of Dispatch:Lease), or a slow send could be claimed twice.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);
}
