namespace HappiTrack.Web.Infrastructure;

/// <summary>
/// Response headers that make the store hard to frame, sniff or script into. Everything the app
/// serves is same-origin, so the policy can be strict: no inline script anywhere.
/// </summary>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
        "connect-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'none'; object-src 'none'";

    /// <summary>
    /// Hangfire's dashboard (<c>/admin/jobs</c>) renders style="..." attributes that the strict
    /// policy would strip, breaking its layout; its scripts are files, so only styles are relaxed, and
    /// only under its path, which is admin-only.
    /// </summary>
    public static readonly string JobsDashboardPolicy = ContentSecurityPolicy.Replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");

    /// <summary>
    /// The API reference (<see cref="OpenApiSetup.ReferencePath"/>, admin-only) is Scalar: its bundled script, served by
    /// this app, starts from one inline module that carries a fresh nonce per response, and its components set inline
    /// styles. So scripts are allowed by that nonce only (no 'unsafe-inline' for scripts), styles are relaxed, and
    /// connect-src stays 'self', so its "try it" client can reach nothing but this app.
    /// </summary>
    public static string ApiReferencePolicy(string nonce) =>
        ContentSecurityPolicy
            .Replace("script-src 'self'", $"script-src 'self' 'nonce-{nonce}'")
            .Replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");

    /// <summary>
    /// Tracked links (<c>?ht=</c>) and discount links (<c>?token=</c>) carry secrets in the query;
    /// sending only the origin keeps them out of every Referer header, same-origin ones included.
    /// </summary>
    public const string ReferrerPolicy = "strict-origin";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use(static (context, next) =>
        {
            context.Response.OnStarting(static state =>
            {
                var http = (HttpContext)state;
                var headers = http.Response.Headers;
                // The dashboard's branch moves its prefix into PathBase by the time the response starts.
                headers.ContentSecurityPolicy = http.Request.PathBase.Add(http.Request.Path).StartsWithSegments(Features.Admin.AdminArea.JobsDashboardPath, StringComparison.OrdinalIgnoreCase)
                    ? JobsDashboardPolicy
                    : OpenApiSetup.ScalarNonce(http) is { } nonce ? ApiReferencePolicy(nonce) : ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = ReferrerPolicy;
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                return Task.CompletedTask;
            }, context);
            return next(context);
        });
}
