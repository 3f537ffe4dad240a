using System.Text.RegularExpressions;
using HappiTrack.Web.Features.Crm;

namespace HappiTrack.Web.Features.Nudges;

/// <summary>One message to deliver. <see cref="NudgeId"/> is the idempotency key for receivers.</summary>
public sealed record OutgoingMessage(int NudgeId, string Kind, string Phone, string? Name, string Text, string Link);

public sealed record DispatchResult(bool Succeeded, string? Error = null)
{
    public static readonly DispatchResult Ok = new(true);
    public static DispatchResult Fail(string error) => new(false, error);
}

/// <summary>
/// Delivers one nudge. Chosen by <c>Dispatch:Mode</c>; the outbox processor guarantees a nudge is
/// claimed by one processor at a time, and a receiver can de-duplicate on <see cref="OutgoingMessage.NudgeId"/>
/// when a crash between sending and marking sent makes the processor retry.
/// </summary>
public interface INudgeDispatcher
{
    Task<DispatchResult> SendAsync(OutgoingMessage message, CancellationToken ct);
}

/// <summary>
/// Emulated dispatch: writes the message and its click-to-chat link to the log. The wa.me link
/// necessarily contains the full phone number, so it is logged at Information only in this mode,
/// which exists for development and demos; the phone elsewhere in the line is masked.
/// </summary>
public sealed partial class LogNudgeDispatcher(ILogger<LogNudgeDispatcher> logger) : INudgeDispatcher
{
    public Task<DispatchResult> SendAsync(OutgoingMessage message, CancellationToken ct)
    {
        logger.LogInformation("WhatsApp nudge {NudgeId} ({Kind}) to {Phone}: {Text} — open {WaMe}",
            message.NudgeId, message.Kind, PhoneNumber.Mask(message.Phone), message.Text, WaMeLink(message.Phone, message.Text));
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
}
