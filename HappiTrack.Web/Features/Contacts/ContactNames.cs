using System.Globalization;
using System.Text.RegularExpressions;

namespace HappiTrack.Web.Features.Contacts;

/// <summary>
/// A contact's name is typed by whoever fills in checkout or calls the API, so it is not trusted to go
/// into a WhatsApp message as is: "Refund due - claim at evil.example/pay" would read as the shop's own
/// words. Only a short, plain name is used; anything else makes the message greet without a name.
/// </summary>
public static partial class ContactNames
{
    /// <summary>Long enough for real names; a sentence no longer fits.</summary>
    public const int MaxInMessage = 40;

    /// <summary>What a message says in place of a name it may not use ("Hi there").</summary>
    public const string NoName = "there";

    /// <summary>The name as it may appear inside a message, or null when it may not appear at all.</summary>
    public static string? ForMessage(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var text = WhiteSpace().Replace(name.Trim(), " ");
        if (text.Length > MaxInMessage || HasHiddenCharacters(text)) return null;
        // Letters (any script), their combining marks, spaces and the punctuation of real names only:
        // no digits, "/", ":", "@", "{" ... so no phone number, URL, e-mail or template placeholder.
        if (!text.All(c => char.IsLetter(c) || c == ' ' || c is '\'' or '’' or '-' or '.'
                || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark))
            return null;
        // "evil.example", "www.shop" or "bit.ly": a domain is letters, a dot and letters with no space.
        return DomainLike().IsMatch(text) ? null : text;
    }

    /// <summary>
    /// Control characters (line breaks, escapes) and format characters (bidi overrides and isolates,
    /// zero-width joiners) that could reorder or hide what an admin or a recipient reads.
    /// </summary>
    public static bool HasHiddenCharacters(string text) =>
        text.Any(c => char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c)
            is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator);

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();

    [GeneratedRegex(@"\p{L}\.\p{L}{2}")]
    private static partial Regex DomainLike();
}
