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
            .ExcludeFromDescription();
        app.MapMethods(SiteTrackEndpoint.Route, [HttpMethods.Options], SiteTrackEndpoint.PreflightAsync)
            .WithMetadata(TrackingRateLimits.Marker.Instance)
            .DisableAntiforgery()
            .ExcludeFromDescription();
        return app;
    }
}
