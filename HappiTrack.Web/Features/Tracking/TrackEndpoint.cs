using System.Buffers;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Tracking.Ingestion;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

using HappiTrack.Web.Features.Shared;

namespace HappiTrack.Web.Features.Tracking;

/// <summary>
/// <c>POST /api/track</c> (SPEC §3, §10). Answers 202 only after the events are committed. Bots and
/// browsers asking not to be tracked (DNT, Sec-GPC, the privacy page's opt-out cookie) get 204 No Content: nothing is read, stored or
/// issued for them, not even a cookie. The one exception to the user-agent filter: see
/// <see cref="IsKnownPersonGoneHeadlessAsync"/>.
/// </summary>
internal static class TrackEndpoint
{
    public const string Route = "/api/track";

    public static async Task<Results<Accepted, NoContent, ValidationProblem, ProblemHttpResult>> HandleAsync(
        HttpContext http,
        IEventIngestor ingestor,
        ProductSlugLookup products,
        TimeProvider clock,
        IOptions<TrackingOptions> options,
        IProjectEventsTrigger projectEvents)
    {
        var request = http.Request;
        if (PrivacySignals.RequestsNoTracking(request)) return TypedResults.NoContent();
        var userAgent = request.Headers.UserAgent.ToString();
        if (BotDetector.IsBot(userAgent) && !await IsKnownPersonGoneHeadlessAsync(http, userAgent))
            return TypedResults.NoContent();

        if (!IsAcceptedContentType(request.ContentType))
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported content type", detail: "Send application/json or text/plain.");
        if (request.ContentLength > TrackPayload.MaxBodyBytes)
            return TooLarge();

        var buffer = ArrayPool<byte>.Shared.Rent(TrackPayload.MaxBodyBytes + 1);
        try
        {
            var length = await ReadBodyAsync(request.Body, buffer, http.RequestAborted);
            if (length > TrackPayload.MaxBodyBytes) return TooLarge();

            var now = clock.GetUtcNow().UtcDateTime;
            var resolver = await products.GetResolverAsync(http.RequestAborted);
            var payload = TrackPayload.Parse(buffer.AsMemory(0, length), now, options.Value.ClientTimeWindow, resolver);
            if (!payload.IsValid)
                return TypedResults.ValidationProblem(
                    new Dictionary<string, string[]> { [payload.Field!] = [payload.Error!] },
                    title: $"Invalid field '{payload.Field}'");

            var visitorId = http.GetOrIssueVisitorId();
            var outcome = await ingestor.IngestAsync(new EventBatch(visitorId, now, payload.Events!), http.RequestAborted);
            if (outcome == IngestOutcome.Stored)
            {
                // Scoring runs off the hot path: this only asks for a projector run soon.
                projectEvents.EventsWritten();
                return TypedResults.Accepted((string?)null);
            }

            return NotStored(http, outcome);
        }
        catch (BadHttpRequestException)
        {
            // The client broke the body off (or Kestrel refused it); it is no longer listening either.
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Incomplete body");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// A browser whose user agent only says "headless" but whose visitor cookie already sent events with
    /// a person's user agent is that person (Chromium under automation sends its unload beacons with its
    /// default "HeadlessChrome" agent): counted. Every other bot stays out, and so does a headless
    /// client with an unknown or fresh cookie. Only this rare case pays for the query.
    /// </summary>
    private static async Task<bool> IsKnownPersonGoneHeadlessAsync(HttpContext http, string userAgent)
    {
        if (!BotDetector.IsOnlyHeadless(userAgent) || http.FindVisitorId() is not { } visitorId) return false;
        var db = http.RequestServices.GetRequiredService<AppDbContext>();
        return await db.Events.AnyAsync(e => e.VisitorId == visitorId && e.Source == EventSource.Client, http.RequestAborted);
    }

    /// <summary>The writer refused or failed the batch: nothing was stored, and the tracker keeps it to send again.</summary>
    internal static ProblemHttpResult NotStored(HttpContext http, IngestOutcome outcome)
    {
        http.Response.Headers.RetryAfter = "1";
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
            title: outcome == IngestOutcome.Busy ? "Too busy to accept events" : "Events could not be stored",
            detail: "Nothing was stored; retry after the delay in Retry-After.");
    }

    internal static ProblemHttpResult TooLarge() =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Body too large",
            detail: $"Send at most {TrackPayload.MaxBodyBytes} bytes per request.");

    internal static bool IsAcceptedContentType(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media)) return false;
        if (media.Charset.HasValue && !media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)) return false;
        return media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.MediaType.Equals("text/plain", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Reads at most one byte more than allowed, so a lying or absent Content-Length is still caught.</summary>
    internal static async Task<int> ReadBodyAsync(Stream body, byte[] buffer, CancellationToken ct)
    {
        var total = 0;
        int read;
        while (total <= TrackPayload.MaxBodyBytes
               && (read = await body.ReadAsync(buffer.AsMemory(total, TrackPayload.MaxBodyBytes + 1 - total), ct)) > 0)
            total += read;
        return total;
    }
}
