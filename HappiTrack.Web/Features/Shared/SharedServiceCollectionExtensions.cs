using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Shared;

public static class SharedServiceCollectionExtensions
{
    /// <summary>The contracts every feature may use: <see cref="ShopContext"/> and its validated <see cref="ShopOptions"/> (the triggers are implemented by the jobs' wiring).</summary>
    public static IServiceCollection AddShared(this IServiceCollection services)
    {
        services.AddOptions<ShopOptions>().BindConfiguration(ShopOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ShopOptions>, ShopOptionsValidator>();
        services.AddSingleton<ShopContext>();
        return services;
    }
}
