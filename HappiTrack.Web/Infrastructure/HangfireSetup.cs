using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Rules;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Shared;
using Npgsql;

namespace HappiTrack.Web.Infrastructure;

/// <summary>
/// Hangfire only triggers work: every job reads and writes the application database and is
/// idempotent, so its in-memory storage can be lost on restart without losing anything.
/// On PostgreSQL the storage is the shared database instead, so several instances share one queue
/// and each recurring occurrence runs on one instance only.
/// </summary>
public static class HangfireSetup
{
    public const string ProjectEventsJobId = "brain:project-events";
    public const string CartAbandonmentJobId = "brain:cart-abandonment";
    public const string OutboxDispatchJobId = "outbox:dispatch";
    public const string TokensExpireJobId = "tokens:expire";

    public static IServiceCollection AddBackgroundJobs(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var options = JobsOptions.From(configuration, environment);
        services.AddSingleton(options);
        // Registered before AddHangfire so this app's clients and server use it instead of the
        // process-wide JobStorage.Current (several apps in one test process must not share one).
        var database = DatabaseOptions.From(configuration);
        services.AddSingleton<JobStorage>(_ => database.IsPostgres ? PostgresStorage(database.ConnectionString) : new InMemoryStorage());
        // Likewise the activator: Hangfire's default registration is the static JobActivator.Current, which
        // the last app to start overwrites, so one app's server would run its jobs in another app's
        // (possibly disposed) container, against that app's database.
        services.AddSingleton<JobActivator>(provider => new AspNetCoreJobActivator(provider.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((provider, config) => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new DisposalSafeLogProvider(provider.GetRequiredService<ILoggerFactory>())));
        if (options.RunServer)
        {
            services.AddHangfireServer(server =>
            {
                // Seconds-level crons need the scheduler to look more often than its 15 s default.
                server.SchedulePollingInterval = TimeSpan.FromSeconds(1);
                server.WorkerCount = Math.Max(2, Environment.ProcessorCount);
            });
        }
        services.AddSingleton<HangfireTriggers>();
        services.AddSingleton<IBrainTrigger>(sp => sp.GetRequiredService<HangfireTriggers>());
        services.AddSingleton<IOutboxTrigger>(sp => sp.GetRequiredService<HangfireTriggers>());
        services.AddScoped<BrainJobs>();
        return services;
    }

    private static PostgreSqlStorage PostgresStorage(string connectionString)
    {
        var storage = new PostgreSqlStorageOptions
        {
            SchemaName = "hangfire",
            // Jobs enqueued on write (dispatch, projection) should start within a second, not the 15 s default.
            QueuePollInterval = TimeSpan.FromSeconds(1),
            UseSlidingInvisibilityTimeout = true,
        };
        // The constructor installs Hangfire's schema; instances starting together would run the installer at
        // once (PostgreSQL then fails with "could not find tuple for constraint"), so it takes the start-up lock.
        using var lockConnection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        lockConnection.Open();
        using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({DataServiceCollectionExtensions.MigrationLockKey})", lockConnection))
            take.ExecuteNonQuery();
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, storage), storage);
    }

    /// <summary>Registers (or updates) the recurring jobs under their constant ids.</summary>
    public static WebApplication UseBackgroundJobs(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<JobsOptions>();
        var recurring = app.Services.GetRequiredService<IRecurringJobManager>();
        var utc = new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc };
        recurring.AddOrUpdate<BrainJobs>(ProjectEventsJobId, j => j.ProjectEvents(CancellationToken.None), options.ProjectEventsCron, utc);
        recurring.AddOrUpdate<BrainJobs>(CartAbandonmentJobId, j => j.EvaluateAbandonedCarts(CancellationToken.None), options.CartAbandonmentCron, utc);
        recurring.AddOrUpdate<BrainJobs>(OutboxDispatchJobId, j => j.DispatchOutbox(CancellationToken.None), options.OutboxCron, utc);
        recurring.AddOrUpdate<BrainJobs>(TokensExpireJobId, j => j.ExpireTokens(CancellationToken.None), options.TokensExpireCron, utc);
        return app;
    }
}

/// <summary>
/// <c>Jobs:RunServer</c> (default true; false in the Testing environment, where tests call the job
/// classes directly with a fake clock) and the cron of each recurring job (<c>Jobs:Cron:*</c>, six
/// fields = with seconds).
/// </summary>
public sealed record JobsOptions(bool RunServer, string ProjectEventsCron, string CartAbandonmentCron, string OutboxCron, string TokensExpireCron)
{
    public static JobsOptions From(IConfiguration configuration, IHostEnvironment environment) => new(
        configuration.GetValue("Jobs:RunServer", !environment.IsEnvironment("Testing")),
        configuration["Jobs:Cron:ProjectEvents"] ?? "*/5 * * * * *",
        configuration["Jobs:Cron:CartAbandonment"] ?? "*/30 * * * * *",
        configuration["Jobs:Cron:Outbox"] ?? "*/5 * * * * *",
        configuration["Jobs:Cron:TokensExpire"] ?? "0 */5 * * * *");
}

/// <summary>The job entry points Hangfire calls; each resolves its worker from the job's DI scope.</summary>
public sealed class BrainJobs(IServiceProvider services, HangfireTriggers triggers)
{
    [AutomaticRetry(Attempts = 0)]
    public Task ProjectEvents(CancellationToken ct)
    {
        triggers.ProjectionStarted();
        return services.GetRequiredService<EventProjector>().RunAsync(ct);
    }

    [AutomaticRetry(Attempts = 0)]
    public Task EvaluateAbandonedCarts(CancellationToken ct) => services.GetRequiredService<CartAbandonmentJob>().RunAsync(ct);

    [AutomaticRetry(Attempts = 0)]
    public Task DispatchOutbox(CancellationToken ct)
    {
        triggers.DispatchStarted();
        return services.GetRequiredService<OutboxProcessor>().RunAsync(ct);
    }

    [AutomaticRetry(Attempts = 0)]
    public Task ExpireTokens(CancellationToken ct) => services.GetRequiredService<TokensExpireJob>().RunAsync(ct);
}

/// <summary>
/// Immediate enqueue on write, at most one pending run per job: a flag is set when a run is
/// enqueued and cleared when it starts, so a burst of pokes costs one job. Missed pokes are
/// harmless; the recurring job runs anyway.
/// </summary>
public sealed class HangfireTriggers(IBackgroundJobClient jobs, JobsOptions options) : IBrainTrigger, IOutboxTrigger
{
    private int _projectionPending;
    private int _dispatchPending;

    public void Poke()
    {
        if (!options.RunServer || Interlocked.Exchange(ref _projectionPending, 1) == 1) return;
        jobs.Enqueue<BrainJobs>(j => j.ProjectEvents(CancellationToken.None));
    }

    public void NudgeWritten()
    {
        if (!options.RunServer || Interlocked.Exchange(ref _dispatchPending, 1) == 1) return;
        jobs.Enqueue<BrainJobs>(j => j.DispatchOutbox(CancellationToken.None));
    }

    internal void ProjectionStarted() => Interlocked.Exchange(ref _projectionPending, 0);
    internal void DispatchStarted() => Interlocked.Exchange(ref _dispatchPending, 0);
}

/// <summary>
/// Hangfire's log provider is process-wide. When several apps share a process (tests), the last one
/// configured wins and its logger factory may already be disposed; Hangfire then logs nowhere
/// instead of failing the caller.
/// </summary>
internal sealed class DisposalSafeLogProvider(ILoggerFactory factory) : Hangfire.Logging.ILogProvider
{
    public Hangfire.Logging.ILog GetLogger(string name)
    {
        try
        {
            return new ForwardingLog(factory.CreateLogger(name));
        }
        catch (ObjectDisposedException)
        {
            return new ForwardingLog(null);
        }
    }

    private sealed class ForwardingLog(ILogger? logger) : Hangfire.Logging.ILog
    {
        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            var level = logLevel switch
            {
                Hangfire.Logging.LogLevel.Trace => LogLevel.Trace,
                Hangfire.Logging.LogLevel.Debug => LogLevel.Debug,
                Hangfire.Logging.LogLevel.Info => LogLevel.Information,
                Hangfire.Logging.LogLevel.Warn => LogLevel.Warning,
                Hangfire.Logging.LogLevel.Error => LogLevel.Error,
                _ => LogLevel.Critical,
            };
            if (logger is null || !logger.IsEnabled(level)) return false;
            if (messageFunc is null) return true;
            try
            {
                logger.Log(level, exception, "{Message}", messageFunc());
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
            return true;
        }
    }
}
