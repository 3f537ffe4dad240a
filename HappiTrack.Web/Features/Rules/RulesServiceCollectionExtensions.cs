using HappiTrack.Web.Infrastructure;


namespace HappiTrack.Web.Features.Rules;

public static class RulesServiceCollectionExtensions
{
    public static IServiceCollection AddRules(this IServiceCollection services)
    {
        services.AddScoped<RuleActions>();
        services.AddScoped<EventRules>();
        services.AddScoped<EventProjector>();
        services.AddScoped<CartAbandonmentJob>();
        services.AddScoped<ProjectEventsJob>();
        services.AddRecurringJob<ProjectEventsJob>(ProjectEventsJob.Id, j => j.RunAsync(CancellationToken.None), jobs => jobs.ProjectEventsCron);
        services.AddRecurringJob<CartAbandonmentJob>(CartAbandonmentJob.Id, j => j.RunScheduledAsync(CancellationToken.None), jobs => jobs.CartAbandonmentCron);
        return services;
    }
}
