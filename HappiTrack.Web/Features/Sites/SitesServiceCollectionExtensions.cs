namespace HappiTrack.Web.Features.Sites;

public static class SitesServiceCollectionExtensions
{
    public static IServiceCollection AddSites(this IServiceCollection services)
    {
        services.AddSingleton<SiteDirectory>();
        services.AddSingleton<SiteSecrets>();
        services.AddScoped<SiteAdmin>();
        services.AddScoped<SiteEventPipeline>();
        services.AddScoped<SiteScope>();
        services.AddScoped<SiteCartRestore>();
        services.AddScoped<HappiTrack.Web.Features.Nudges.IRescuedCartDestinations>(sp => sp.GetRequiredService<SiteCartRestore>());
        return services;
    }
}
