using PhoneNumbers;

namespace HappiTrack.Web.Features.Contacts;

/// <summary>Validates phone numbers typed by people and normalises them to E.164 (<c>+4915112345678</c>).</summary>
public static class PhoneNumber
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();
    public const string FormatHint = "Use the international format with country code, e.g. +49 151 12345678.";

    /// <summary>
    /// True with the E.164 form when <paramref name="input"/> is a valid international number.
    /// A leading 00 is accepted for +; numbers without a country code are refused, since a shop
    /// with customers abroad cannot guess the country.
    /// </summary>
    public static bool TryNormalize(string? input, out string e164)
    {
        e164 = "";
        if (string.IsNullOrWhiteSpace(input) || input.Length > 32) return false;
        var trimmed = input.Trim();
        if (trimmed.StartsWith("00", StringComparison.Ordinal)) trimmed = "+" + trimmed[2..];
        if (!trimmed.StartsWith('+')) return false;
        try
        {
            var parsed = Util.Parse(trimmed, null);
            if (!Util.IsValidNumber(parsed)) return false;
            e164 = Util.Format(parsed, PhoneNumberFormat.E164);
            return true;
        }
        catch (NumberParseException)
        {
            return false;
        }
    }

    /// <summary>For logs: keeps the country code and the last two digits only.</summary>
    public static string Mask(string? e164)
    {
        if (string.IsNullOrEmpty(e164)) return "";
        if (e164.Length <= 6) return new string('*', e164.Length);
        return e164[..3] + new string('*', e164.Length - 5) + e164[^2..];
    }
}
