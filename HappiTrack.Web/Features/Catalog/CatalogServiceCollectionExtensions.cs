namespace HappiTrack.Web.Features.Catalog;

public static class CatalogServiceCollectionExtensions
{
    public static IServiceCollection AddCatalog(this IServiceCollection services)
    {
        services.AddScoped<CatalogQueries>();
        services.AddScoped<DealCalendar>();
        return services;
    }
}
