using System.Text.RegularExpressions;

namespace HappiTrack.Web.Features.Catalog;

public static partial class Slugs
{
    public const int MaxLength = 96;

    /// <summary>Lower-case letters, digits and single hyphens; anything else never reaches a query or a redirect.</summary>
    public static bool IsSlug(string? value) => value is { Length: > 0 and <= MaxLength } && SlugPattern().IsMatch(value);

    [GeneratedRegex("^[a-z0-9]+(?:-[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex SlugPattern();
}
