
namespace HappiTrack.Web.Features.Rules;

public static class RulesServiceCollectionExtensions
{
    public static IServiceCollection AddRules(this IServiceCollection services)
    {
        services.AddScoped<RuleActions>();
        services.AddScoped<EventProjector>();
        services.AddScoped<CartAbandonmentJob>();
        return services;
    }
}
