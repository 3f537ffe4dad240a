using System.Text.RegularExpressions;
using HappiTrack.Web.Features.Contacts;

namespace HappiTrack.Web.Features.Nudges;

/// <summary>One message to deliver. <see cref="NudgeId"/> is the idempotency key for receivers.</summary>
public sealed record OutgoingMessage(int NudgeId, string Kind, string Phone, string? Name, string Text, string Link)
{
    /// <summary>The random part of the tracked link, for a template's URL-button suffix.</summary>
    public string? Code { get; init; }
    public string? Token { get; init; }
    public ProductSummary? Product { get; init; }
    public IReadOnlyList<CartLineSummary>? Cart { get; init; }
    /// <summary>When the contact last wrote to us: WhatsApp allows free-form text only within 24 h of it.</summary>
    public DateTime? LastInboundAt { get; init; }
}

public sealed record ProductSummary(int Id, string Slug, string Name, long PriceCents);
public sealed record CartLineSummary(int ProductId, string Name, int Quantity, long UnitPriceCents);

/// <summary>
/// The outcome of one delivery attempt. A plain failure is retried by the outbox with backoff;
/// a <see cref="Permanent"/> one (the channel refused the message itself) is dead-lettered at
/// once; <see cref="DeferFor"/> postpones the nudge without counting an attempt.
/// </summary>
public sealed record DispatchResult(bool Succeeded, string? Error = null)
{
    public static readonly DispatchResult Ok = new(true);
    public static DispatchResult Fail(string error) => new(false, error);
    public static DispatchResult Accepted(string? providerMessageId) => new(true) { ProviderMessageId = providerMessageId };
    public static DispatchResult Reject(string error) => new(false, error) { Permanent = true };
    public static DispatchResult Defer(TimeSpan wait, string reason) => new(false, reason) { DeferFor = wait };

    public string? ProviderMessageId { get; init; }
    public bool Permanent { get; init; }
    public TimeSpan? DeferFor { get; init; }
}

/// <summary>
/// Delivers one nudge. Chosen by <c>Dispatch:Mode</c>; the outbox processor guarantees a nudge is
/// claimed by one processor at a time, and a receiver can de-duplicate on <see cref="OutgoingMessage.NudgeId"/>
/// when a crash between sending and marking sent makes the processor retry.
/// </summary>
public interface INudgeDispatcher
{
    Task<DispatchResult> SendAsync(OutgoingMessage message, CancellationToken ct);

    /// <summary>
    /// Whether sending a nudge again after an unknown outcome (a crash mid-send) is harmless because
    /// the receiver de-duplicates on the nudge id. When false, such a nudge is dead-lettered for an
    /// admin to check rather than risk a second message.
    /// </summary>
    bool ResendIsSafe => true;
}

/// <summary>
/// Emulated dispatch: writes the message to the log. The click-to-chat wa.me link necessarily
/// contains the full phone number, so it is in the line only in Development (and in the in-process
/// Testing host, whose log only the tests read); elsewhere (a demo server) the line keeps the masked
/// phone and the admin's contact page shows the link.
/// </summary>
public sealed partial class LogNudgeDispatcher(ILogger<LogNudgeDispatcher> logger, IHostEnvironment environment) : INudgeDispatcher
{
    public Task<DispatchResult> SendAsync(OutgoingMessage message, CancellationToken ct)
    {
        if (environment.IsDevelopment() || environment.IsEnvironment("Testing"))
        {
            logger.LogInformation("WhatsApp nudge {NudgeId} ({Kind}) to {Phone}: {Text} — open {WaMe}",
                message.NudgeId, message.Kind, PhoneNumber.Mask(message.Phone), message.Text, WaMeLink(message.Phone, message.Text));
        }
        else
        {
            logger.LogInformation("WhatsApp nudge {NudgeId} ({Kind}) to {Phone}: {Text}",
                message.NudgeId, message.Kind, PhoneNumber.Mask(message.Phone), message.Text);
        }
        return Task.FromResult(DispatchResult.Ok);
    }

    public static string WaMeLink(string phone, string text) =>
        $"https://wa.me/{NonDigits().Replace(phone, "")}?text={Uri.EscapeDataString(text)}";

    [GeneratedRegex("[^0-9]")]
    private static partial Regex NonDigits();
}

public static class DispatchModes
{
    public const string Log = "Log";
    public const string Webhook = "Webhook";
    public const string WhatsAppCloud = "WhatsAppCloud";

    public static readonly string[] All = [Log, Webhook, WhatsAppCloud];
}
