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
        return services;
    }
}
