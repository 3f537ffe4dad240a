namespace HappiTrack.Web.Features.Shared;

public static class SharedServiceCollectionExtensions
{
    /// <summary>The contracts every feature may use: <see cref="ShopContext"/> (the triggers are implemented by the jobs' wiring).</summary>
    public static IServiceCollection AddShared(this IServiceCollection services)
    {
        services.AddSingleton<ShopContext>();
        return services;
    }
}
