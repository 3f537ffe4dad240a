using System.Buffers;
using System.Text.Json;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Features.Sites;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Features.Tracking.Ingestion;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Embed;

/// <summary>
/// <c>POST /api/sites/{key}/track</c>: what the embedded tracker (<c>/t.js</c>) on a shop's own origin sends
/// (issue 20). The payload is Trusty's (<see cref="TrackPayload"/>) plus <c>vid</c>, the visitor id the loader
/// keeps in the shop's localStorage (no cookie crosses origins), and <c>ht</c>, a tracked link's token seen
/// once in the shop's address bar. It answers 202 <c>{"vid": …}</c>: the id to keep, which differs from the
/// one sent when there was none, it was malformed, it belongs to another site, or a link needed a fresh one.
/// <para>
/// The <c>Origin</c> header is checked here, not only by the browser: a request from an origin the site did not
/// register gets no CORS grant and stores nothing, so a script on another page (or curl) cannot feed a site's
/// analytics by pretending. The key is public and the origin can be forged outside a browser, so this keeps
/// browsers honest, not every client; the stored data stays anonymous-by-default either way, since nothing in
/// a payload can claim a contact, a phone or a server time.
/// </para>
/// </summary>
internal static class SiteTrackEndpoint
{
    public const string Route = "/api/sites/{key}/track";

    public static async Task<IResult> PreflightAsync(HttpContext http, string key, SiteDirectory sites)
    {
        var site = await sites.FindActiveByKeyAsync(key);
        if (site is null) return UnknownSite();
        if (!Grant(http, site)) return WrongOrigin();
        var headers = http.Response.Headers;
        headers.AccessControlAllowMethods = "POST";
        headers.AccessControlAllowHeaders = "Content-Type";
        headers.AccessControlMaxAge = "600";
        return TypedResults.NoContent();
    }

    public static async Task<IResult> HandleAsync(
        HttpContext http,
        string key,
        SiteDirectory sites,
        IEventIngestor ingestor,
        ProductSlugLookup products,
        TimeProvider clock,
        IOptions<TrackingOptions> options,
        IProjectEventsTrigger projectEvents)
    {
        var site = await sites.FindActiveByKeyAsync(key);
        if (site is null) return UnknownSite();
        if (!Grant(http, site)) return WrongOrigin();

        var request = http.Request;
        if (PrivacySignals.RequestsNoTracking(request)) return TypedResults.NoContent();
        if (!TrackEndpoint.IsAcceptedContentType(request.ContentType))
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported content type", detail: "Send application/json or text/plain.");
        if (request.ContentLength > TrackPayload.MaxBodyBytes) return TrackEndpoint.TooLarge();

        var buffer = ArrayPool<byte>.Shared.Rent(TrackPayload.MaxBodyBytes + 1);
        try
        {
            var length = await TrackEndpoint.ReadBodyAsync(request.Body, buffer, http.RequestAborted);
            if (length > TrackPayload.MaxBodyBytes) return TrackEndpoint.TooLarge();
            var body = buffer.AsMemory(0, length);

            var now = clock.GetUtcNow().UtcDateTime;
            var resolver = await products.GetResolverAsync(site.Id, http.RequestAborted);
            var payload = TrackPayload.Parse(body, now, options.Value.ClientTimeWindow, resolver);
            if (!payload.IsValid)
                return TypedResults.ValidationProblem(
                    new Dictionary<string, string[]> { [payload.Field!] = [payload.Error!] },
                    title: $"Invalid field '{payload.Field}'");
            var (claimedVisitor, token) = ReadIdentity(body);

            var db = http.RequestServices.GetRequiredService<AppDbContext>();
            // A visitor id of another site (or of Trusty's cookie) is not this site's to write to: start over.
            int? visitorSite = claimedVisitor is null ? null
                : await db.Visitors.Where(v => v.Id == claimedVisitor).Select(v => (int?)v.SiteId).FirstOrDefaultAsync(http.RequestAborted);
            if (visitorSite is { } owner && owner != site.Id) claimedVisitor = null;

            var userAgent = request.Headers.UserAgent.ToString();
            if (BotDetector.IsBot(userAgent) && !await IsKnownPersonGoneHeadlessAsync(db, userAgent, claimedVisitor, site.Id, http.RequestAborted))
                return TypedResults.NoContent();

            var visitorId = claimedVisitor;
            if (token is not null)
            {
                var contactId = await db.Contacts.Where(c => c.LinkToken == token && c.SiteId == site.Id)
                    .Select(c => (int?)c.Id).FirstOrDefaultAsync(http.RequestAborted);
                if (contactId is { } id)
                {
                    var linker = http.RequestServices.GetRequiredService<VisitorLinker>();
                    visitorId = await linker.LinkSiteVisitorAsync(visitorId, site.Id, id, now, http.RequestAborted) ?? visitorId;
                }
            }
            visitorId ??= VisitorCookie.NewId();

            var outcome = await ingestor.IngestAsync(new EventBatch(visitorId, now, payload.Events!, site.Id), http.RequestAborted);
            if (outcome == IngestOutcome.Stored)
            {
                projectEvents.EventsWritten();
                return TypedResults.Json(new VisitorAnswer(visitorId), statusCode: StatusCodes.Status202Accepted);
            }

            return TrackEndpoint.NotStored(http, outcome);
        }
        catch (BadHttpRequestException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Incomplete body");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public sealed record VisitorAnswer(string Vid);

    /// <summary>
    /// Grants CORS to exactly the request's origin when the site registered it; never with credentials, since
    /// the tracker sends none. Vary: a cache must not hand one origin's grant to another.
    /// </summary>
    private static bool Grant(HttpContext http, SiteInfo site)
    {
        http.Response.Headers.Vary = "Origin";
        var origin = http.Request.Headers.Origin.Count == 1 ? http.Request.Headers.Origin[0] : null;
        if (!site.AllowsOrigin(origin)) return false;
        http.Response.Headers.AccessControlAllowOrigin = origin;
        return true;
    }

    /// <summary>
    /// The payload's <c>vid</c> and <c>ht</c>, each kept only if it has the exact form the server issues;
    /// anything else counts as absent. The body was already parsed once as valid JSON.
    /// </summary>
    internal static (string? VisitorId, string? Token) ReadIdentity(ReadOnlyMemory<byte> body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var vid = root.TryGetProperty("vid", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var ht = root.TryGetProperty("ht", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        return (VisitorCookie.IsWellFormed(vid) ? vid : null, LinkToken.IsWellFormed(ht) ? ht : null);
    }

    /// <summary>As for Trusty (<see cref="TrackEndpoint"/>): Chromium's unload beacons say "HeadlessChrome" under automation.</summary>
    private static async Task<bool> IsKnownPersonGoneHeadlessAsync(AppDbContext db, string userAgent, string? visitorId, int siteId, CancellationToken ct) =>
        BotDetector.IsOnlyHeadless(userAgent) && visitorId is not null
        && await db.Events.AnyAsync(e => e.VisitorId == visitorId && e.SiteId == siteId && e.Source == EventSource.Client, ct);

    private static IResult UnknownSite() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown site",
            detail: "No active site has this key: check the data-site attribute of the tracker's script tag.");

    private static IResult WrongOrigin() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Origin not allowed",
            detail: "This page's origin is not among the site's allowed origins.");
}
