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

    /// <summary>Tracked links on every store URL, the rate limiter, and <c>POST /api/track</c>. Call after routing.</summary>
    public static WebApplication MapTracking(this WebApplication app)
    {
        app.UseMiddleware<TrackedLinkMiddleware>();
        app.UseRateLimiter();
        app.MapPost(TrackEndpoint.Route, TrackEndpoint.HandleAsync)
            .WithMetadata(TrackingRateLimits.Marker.Instance)
            .DisableAntiforgery()
            .ExcludeFromDescription();
        return app;
    }
}
