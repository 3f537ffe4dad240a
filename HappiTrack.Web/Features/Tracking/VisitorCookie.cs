using System.Buffers.Text;
using System.Security.Cryptography;

namespace HappiTrack.Web.Features.Tracking;

/// <summary>
/// Issues and reads the first-party visitor cookie <c>ht_vid</c>. Its value is the only thing that
/// identifies a browser; anything else a browser claims about itself is ignored.
/// </summary>
public static class VisitorCookie
{
    public const string Name = "ht_vid";
    private const int IdBytes = 16;
    private static readonly object ItemKey = new();

    public static string NewId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(IdBytes));

    /// <summary>A well-formed id is exactly 16 bytes of base64url; anything else is treated as absent.</summary>
    public static bool IsWellFormed(string? value)
    {
        if (value is not { Length: 22 }) return false;
        Span<byte> buffer = stackalloc byte[IdBytes + 2];
        return Base64Url.IsValid(value) && Base64Url.TryDecodeFromChars(value, buffer, out var written) && written == IdBytes;
    }

    /// <summary>The visitor id for this request, issuing a new cookie when the browser has none.</summary>
    public static string GetOrIssueVisitorId(this HttpContext http)
    {
        if (http.Items.TryGetValue(ItemKey, out var cached) && cached is string known) return known;

        var id = http.Request.Cookies[Name];
        if (!IsWellFormed(id))
        {
            id = NewId();
            Append(http, id);
        }
        http.Items[ItemKey] = id;
        return id!;
    }

    /// <summary>
    /// Replaces this browser's cookie with a new visitor id: a link that may not take over what the old
    /// visitor has (VisitorLinker) starts the browser over instead.
    /// </summary>
    public static string IssueNewVisitorId(this HttpContext http)
    {
        var id = NewId();
        Append(http, id);
        http.Items[ItemKey] = id;
        return id;
    }

    private static void Append(HttpContext http, string id) =>
        http.Response.Cookies.Append(Name, id, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Secure = http.Request.IsHttps,
            IsEssential = true,
            Path = "/",
            MaxAge = TimeSpan.FromDays(365),
        });

    /// <summary>The visitor id if the browser already has a valid cookie; never issues one.</summary>
    public static string? FindVisitorId(this HttpContext http)
    {
        if (http.Items.TryGetValue(ItemKey, out var cached) && cached is string known) return known;
        var id = http.Request.Cookies[Name];
        return IsWellFormed(id) ? id : null;
    }
}
