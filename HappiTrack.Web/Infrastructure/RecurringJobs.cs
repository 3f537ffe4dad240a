using System.Linq.Expressions;
using Hangfire;

namespace HappiTrack.Web.Infrastructure;

/// <summary>
/// One recurring Hangfire job a feature owns: its constant id, its entry point and its cron from
/// <see cref="JobsOptions"/>. Features add theirs in their Add&lt;Feature&gt;(); <see cref="HangfireSetup.UseBackgroundJobs"/>
/// applies them all, so adding a job never touches the Hangfire wiring.
/// </summary>
public sealed class RecurringJobRegistration(string id, Action<IRecurringJobManager, string, RecurringJobOptions> addOrUpdate, Func<JobsOptions, string> cron)
{
    public string Id { get; } = id;

    internal void Apply(IRecurringJobManager manager, JobsOptions options, RecurringJobOptions schedule) => addOrUpdate(manager, cron(options), schedule);
}

public static class RecurringJobServiceCollectionExtensions
{
    /// <summary>Registers <paramref name="run"/> as the recurring job <paramref name="id"/> (UTC), on the cron <paramref name="cron"/> picks.</summary>
    public static IServiceCollection AddRecurringJob<TJob>(this IServiceCollection services, string id, Expression<Func<TJob, Task>> run, Func<JobsOptions, string> cron)
        where TJob : class =>
        services.AddSingleton(new RecurringJobRegistration(id, (manager, expression, schedule) => manager.AddOrUpdate(id, run, expression, schedule), cron));
}
