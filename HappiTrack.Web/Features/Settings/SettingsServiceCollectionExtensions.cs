using HappiTrack.Web.Data;

namespace HappiTrack.Web.Features.Settings;

public static class SettingsServiceCollectionExtensions
{
    /// <summary>The database-stored settings document that the admin edits on the Rules page; scoring, guards, dispatch and rules read it.</summary>
    public static IServiceCollection AddSettings(this IServiceCollection services)
    {
        services.AddScoped<RuleSettingsService>();
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
