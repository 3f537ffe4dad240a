using HappiTrack.Web.Infrastructure;
using HappiTrack.Web.Features.Tracking;

namespace HappiTrack.Web.Features.Embed;

public static class EmbedServiceCollectionExtensions
{
    /// <summary>
    /// <c>GET /t.js</c> and the site tracker's <c>POST</c>/<c>OPTIONS /api/sites/{key}/track</c>, the latter behind the
    /// same rate limits as <c>/api/track</c>.
    /// </summary>
    public static WebApplication MapEmbeddedTracker(this WebApplication app)
    {
        app.MapGet(TrackerScriptEndpoint.Route, TrackerScriptEndpoint.Handle).ExcludeFromDescription();
        app.MapPost(SiteTrackEndpoint.Route, SiteTrackEndpoint.HandleAsync)
            .WithMetadata(TrackingRateLimits.Marker.Instance)
            .DisableAntiforgery()
            .WithName("SiteTrack")
            .WithTags("Sites")
            .WithSummary("Store a batch of tracker events from a registered site's pages (t.js)")
            .WithDescription("Cross-origin: only the site's registered origins get a CORS grant, and any other Origin stores nothing. " +
                "The visitor id travels in the payload (`vid`, kept in the shop's localStorage); 202 answers the id to keep. " +
                "204 and nothing stored for bots and `DNT`/`Sec-GPC`.")
            .DescribesBody<TrackBatchDocument>(contentTypes: ["application/json", "text/plain"])
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        app.MapMethods(SiteTrackEndpoint.Route, [HttpMethods.Options], SiteTrackEndpoint.PreflightAsync)
            .WithMetadata(TrackingRateLimits.Marker.Instance)
            .DisableAntiforgery()
            .WithName("SiteTrackPreflight")
            .WithTags("Sites")
            .WithSummary("CORS preflight for a site's tracker: granted to the site's registered origins only")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }
}
