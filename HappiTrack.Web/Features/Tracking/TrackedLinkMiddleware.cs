using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Shared;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Tracking;

/// <summary>
/// Tracked links (SPEC §3): any store URL with <c>?ht=&lt;token&gt;</c>. A token that belongs to a
/// contact links this browser to the contact under <see cref="VisitorLinker"/>'s rule (never merging
/// what the browser already has); any token, known or not, is then stripped by a redirect so it leaves the address bar,
/// the history and the Referer. Tokens are never logged.
/// </summary>
internal sealed class TrackedLinkMiddleware(RequestDelegate next)
{
    public const string QueryKey = "ht";

    // Services are resolved only for requests that carry a token: this middleware sees every request,
    // and renting a pooled DbContext (and four more services) for each /api/track call was wasted work.
    public Task InvokeAsync(HttpContext http)
    {
        var request = http.Request;
        if (!(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) || !request.QueryString.HasValue
            || !request.Query.ContainsKey(QueryKey))
            return next(http);
        return HandleTokenAsync(http);
    }

    private static async Task HandleTokenAsync(HttpContext http)
    {
        var request = http.Request;
        var services = http.RequestServices;
        var db = services.GetRequiredService<AppDbContext>();
        var linker = services.GetRequiredService<VisitorLinker>();
        var clock = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILogger<TrackedLinkMiddleware>>();

        var token = request.Query[QueryKey].Count == 1 ? request.Query[QueryKey][0] : null;
        if (LinkToken.IsWellFormed(token) && !BotDetector.IsBot(request.Headers.UserAgent))
        {
            var contactId = await db.Contacts.Where(c => c.LinkToken == token).Select(c => (int?)c.Id)
                .FirstOrDefaultAsync(http.RequestAborted);
            if (contactId is { } id)
            {
                if (await linker.LinkBrowserAsync(http, id, LinkProof.TrackedLink, clock.GetUtcNow().UtcDateTime, http.RequestAborted) is not null)
                    logger.LogInformation("Linked a visitor to contact {ContactId} through a tracked link", id);
                else
                    logger.LogInformation("A tracked link of contact {ContactId} was opened in a browser linked to another contact; left as it was", id);
            }
        }

        http.Response.Redirect(WithoutToken(request));
    }

    /// <summary>A local URL (path and the other query parameters) that cannot be turned into an open redirect.</summary>
    internal static string WithoutToken(HttpRequest request)
    {
        var path = (request.PathBase + request.Path).ToUriComponent();
        // "//evil.example" or "/\evil.example" would be read by browsers as another host.
        if (path.Length == 0 || path.StartsWith("//", StringComparison.Ordinal) || path.StartsWith("/\\", StringComparison.Ordinal))
            path = "/";
        var query = new QueryBuilder(request.Query
            .Where(q => !string.Equals(q.Key, QueryKey, StringComparison.OrdinalIgnoreCase))
            .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))));
        return path + query.ToQueryString();
    }
}
