namespace HappiTrack.Web.Features.Tracking;

/// <summary>
/// The shopper's own "stop tracking me" switch, kept by the server as a first-party cookie so it works
/// without JavaScript (the privacy page's form sets and clears it). <c>POST /api/track</c> answers a
/// browser carrying it with 204 and stores nothing, and the storefront layout leaves the tracker out.
/// HttpOnly: the server enforces the choice, so no script needs to read it.
/// </summary>
public static class TrackingOptOut
{
    public const string CookieName = "ht_optout";
    // Long enough to outlast the visitor cookie: a choice to be left alone should not expire before the tracking would.
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(5 * 365);

    public static bool IsOptedOut(HttpRequest request) => request.Cookies[CookieName] == "1";

    public static void OptOut(HttpResponse response) =>
        response.Cookies.Append(CookieName, "1", Options(response.HttpContext.Request, Lifetime));

    public static void Resume(HttpResponse response) =>
        response.Cookies.Delete(CookieName, Options(response.HttpContext.Request, null));

    private static CookieOptions Options(HttpRequest request, TimeSpan? maxAge) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Secure = request.IsHttps,
        // The shopper asked for it: no consent banner may hold it back.
        IsEssential = true,
        Path = "/",
        MaxAge = maxAge,
    };
}
