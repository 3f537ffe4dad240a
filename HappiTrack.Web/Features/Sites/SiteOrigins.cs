namespace HappiTrack.Web.Features.Sites;

/// <summary>
/// A site's allowed origins: exact <c>scheme://host[:port]</c> values, the form a browser sends in its
/// <c>Origin</c> header, so a CORS check is a plain string comparison with no pattern to get wrong.
/// </summary>
public static class SiteOrigins
{
    /// <summary>Normalises one origin (lower-case scheme and host, default port dropped) or says why it is not one.</summary>
    public static bool TryNormalise(string? value, out string origin, out string? error)
    {
        origin = "";
        error = null;
        var text = value?.Trim() ?? "";
        if (text.Length == 0) { error = "An origin is empty."; return false; }
        if (text.Length > 200) { error = $"'{Shorten(text)}' is too long for an origin."; return false; }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            error = $"'{Shorten(text)}' is not an origin: write it as https://shop.example (scheme, host and an optional port).";
            return false;
        }
        // An origin has no path, query, fragment or credentials: anything more is a URL pasted by mistake.
        var rest = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..];
        if (rest.IndexOfAny(['/', '?', '#', '@', '*']) >= 0 || uri.UserInfo.Length > 0)
        {
            error = $"'{Shorten(text)}' must be just scheme://host[:port], with no path, wildcard or user name.";
            return false;
        }
        if (uri.HostNameType is UriHostNameType.Unknown || uri.Host.Length == 0)
        {
            error = $"'{Shorten(text)}' has no valid host.";
            return false;
        }
        origin = uri.IsDefaultPort ? $"{uri.Scheme}://{uri.Host}" : $"{uri.Scheme}://{uri.Host}:{uri.Port}";
        return true;
    }

    /// <summary>Parses a list (one per line, or separated by commas or spaces); every error is reported.</summary>
    public static (IReadOnlyList<string> Origins, IReadOnlyList<string> Errors) Parse(string? text)
    {
        var origins = new List<string>();
        var errors = new List<string>();
        foreach (var part in (text ?? "").Split(['\n', '\r', ',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (TryNormalise(part, out var origin, out var error)) { if (!origins.Contains(origin)) origins.Add(origin); }
            else errors.Add(error!);
        }
        if (origins.Count > Site.MaxOrigins) errors.Add($"A site may have at most {Site.MaxOrigins} origins.");
        return (origins, errors);
    }

    public static string Join(IEnumerable<string> origins) => string.Join('\n', origins);

    public static IReadOnlyList<string> Split(string? stored) =>
        (stored ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
