using HappiTrack.Web.Infrastructure;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Tracking.Ingestion;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Tracking;

public static class TrackingServiceCollectionExtensions
{
    public static IServiceCollection AddTracking(this IServiceCollection services)
    {
        services.AddOptions<TrackingOptions>().BindConfiguration(TrackingOptions.Section);
        services.AddSingleton<ProductSlugLookup>();
        services.AddScoped<VisitorLinker>();
        services.AddSingleton<IEventStore>(sp =>
            sp.GetRequiredService<DatabaseOptions>().IsPostgres ? new PostgresEventStore() : new SqliteEventStore());
        services.AddSingleton<BatchedEventWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<BatchedEventWriter>());
        services.AddSingleton<NaiveEventWriter>();
        services.AddSingleton<IEventIngestor>(sp =>
            sp.GetRequiredService<IOptions<TrackingOptions>>().Value.Writer == WriterMode.Naive
                ? sp.GetRequiredService<NaiveEventWriter>()
                : sp.GetRequiredService<BatchedEventWriter>());
        services.AddTrackingRateLimits();
        return services;
    }

    /// <summary>Links the browser to a contact on any store URL carrying <c>?ht=</c>. Call after routing, before the endpoints.</summary>
    public static IApplicationBuilder UseTrackedLinks(this IApplicationBuilder app) => app.UseMiddleware<TrackedLinkMiddleware>();

    /// <summary><c>POST /api/track</c>, behind the rate limiter's tracking policy (the pipeline calls <c>UseRateLimiter</c>).</summary>
    public static WebApplication MapTracking(this WebApplication app)
    {
        app.MapPost(TrackEndpoint.Route, TrackEndpoint.HandleAsync)
            .WithMetadata(TrackingRateLimits.Marker.Instance)
            .DisableAntiforgery()
            .WithName("Track")
            .WithTags("Tracking")
            .WithSummary("Store a batch of tracker events for this browser")
            .WithDescription("The storefront tracker's endpoint (first-party cookie `ht_vid`, issued on the first stored batch). " +
                "202 once the events are committed; 204 and nothing stored for bots, `DNT`/`Sec-GPC` and the /privacy opt-out. " +
                $"At most {TrackPayload.MaxBodyBytes} bytes and {TrackPayload.MaxEvents} events; client times are clamped to the server's.")
            .DescribesBody<TrackBatchDocument>(contentTypes: ["application/json", "text/plain"])
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }
}
