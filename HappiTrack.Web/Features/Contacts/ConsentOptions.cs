using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Contacts;

/// <summary>The <c>Consent</c> section: how long a pending (double opt-in) request waits for the owner's YES.</summary>
public sealed class ConsentOptions
{
    public const string Section = "Consent";

    /// <summary>After this the confirmation is no longer sent and a late YES is an ordinary opt-in by the owner.</summary>
    public int PendingHours { get; set; } = 72;

    /// <summary>
    /// The double opt-in confirmation (transactional; no offer, no name). In WhatsApp Cloud mode the approved
    /// template configured as <c>WhatsApp:Template:NamesByKind:opt_in_confirmation</c> is sent instead.
    /// </summary>
    public string ConfirmationMessage { get; set; } = "Reply YES to get offers from Trusty on WhatsApp. If you did not ask for this, ignore this message: you will not hear from us again.";

    public TimeSpan PendingFor => TimeSpan.FromHours(PendingHours);
}

internal sealed class ConsentOptionsValidator : IValidateOptions<ConsentOptions>
{
    public ValidateOptionsResult Validate(string? name, ConsentOptions options) =>
        options.PendingHours is < 1 or > 24 * 30
            ? ValidateOptionsResult.Fail($"{ConsentOptions.Section}:PendingHours must be between 1 and 720 (hours).")
            : string.IsNullOrWhiteSpace(options.ConfirmationMessage) || options.ConfirmationMessage.Length > 1000
                ? ValidateOptionsResult.Fail($"{ConsentOptions.Section}:ConfirmationMessage must be text of at most 1000 characters.")
                : ValidateOptionsResult.Success;
}
