using HappiTrack.Web.Data;

namespace HappiTrack.Web.Features.Rules;

public static class RulesServiceCollectionExtensions
{
    public static IServiceCollection AddRules(this IServiceCollection services)
    {
        services.AddScoped<RuleSettingsService>();
        services.AddScoped<RuleActions>();
        services.AddScoped<EventProjector>();
        services.AddScoped<CartAbandonmentJob>();
        services.AddHostedService<RuleSettingsSeeder>();
        return services;
    }
}

/// <summary>Copies the <c>Rules</c> configuration into the database on the first start (after migrations).</summary>
internal sealed class RuleSettingsSeeder(IServiceScopeFactory scopes) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var settings = scope.ServiceProvider.GetRequiredService<RuleSettingsService>();
        // Under the start-up lock, so instances starting together do not both insert the row.
        await scope.ServiceProvider.GetRequiredService<AppDbContext>().RunUnderStartupLockAsync(() => settings.SeedAsync(ct), ct);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
