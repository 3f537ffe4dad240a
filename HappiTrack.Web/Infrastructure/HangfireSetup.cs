using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.Storage.SQLite;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Rules;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Shared;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HappiTrack.Web.Infrastructure;

/// <summary>
/// Hangfire only triggers work: every job reads and writes the application database and is
/// idempotent. Its storage (<see cref="JobStorageKind"/>) keeps the dashboard's history, failed jobs
/// and retries across restarts: on the embedded default a SQLite file of its own (the library keeps
/// its own connections, and SQLite has one writer per file, so job bookkeeping never waits for the
/// tracker's writes or holds them up); on PostgreSQL the shared database, so several instances share
/// one queue and each recurring occurrence runs on one instance only. Tests use memory unless they ask.
/// </summary>
public static class HangfireSetup
{
    public static IServiceCollection AddBackgroundJobs(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var database = DatabaseOptions.From(configuration);
        var options = JobsOptions.Read(configuration, environment, database);
        services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.Section)
            .PostConfigure(o => o.ApplyDefaults(environment, database)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<JobsOptions>>(new JobsOptionsValidator(database));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<JobsOptions>>().Value);
        // Registered before AddHangfire so this app's clients and server use it instead of the
        // process-wide JobStorage.Current (several apps in one test process must not share one).
        services.AddSingleton<JobStorage>(_ => options.Storage switch
        {
            JobStorageKind.Postgres => PostgresStorage(database.ConnectionString),
            JobStorageKind.Sqlite => SqliteStorage(options.SqlitePath, options.SqliteInvisibilityTimeout),
            _ => new InMemoryStorage(),
        });
        // Likewise the activator: Hangfire's default registration is the static JobActivator.Current, which
        // the last app to start overwrites, so one app's server would run its jobs in another app's
        // (possibly disposed) container, against that app's database.
        services.AddSingleton<JobActivator>(provider => new AspNetCoreJobActivator(provider.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((provider, config) => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new DisposalSafeLogProvider(provider.GetRequiredService<ILoggerFactory>())));
        if (options.ServerRuns)
        {
            services.AddHangfireServer(server =>
            {
                // Seconds-level crons need the scheduler to look more often than its 15 s default.
                server.SchedulePollingInterval = TimeSpan.FromSeconds(1);
                server.WorkerCount = Math.Max(2, Environment.ProcessorCount);
            });
        }
        services.AddSingleton<HangfireTriggers>();
        services.AddSingleton<IProjectEventsTrigger>(sp => sp.GetRequiredService<HangfireTriggers>());
        services.AddSingleton<IOutboxTrigger>(sp => sp.GetRequiredService<HangfireTriggers>());
        return services;
    }

    private static SQLiteStorage SqliteStorage(string path, TimeSpan invisibilityTimeout)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        return new SQLiteStorage(path, new SQLiteStorageOptions
        {
            // Jobs enqueued on write (dispatch, projection) should start within a second, not the 15 s default.
            QueuePollInterval = TimeSpan.FromSeconds(1),
            // The library has no sliding invisibility: a job whose process died is fetched again after this
            // long, and so is one still running after this long (harmless: every job is idempotent).
            InvisibilityTimeout = invisibilityTimeout,
        });
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

    /// <summary>Registers (or updates) every feature's <see cref="RecurringJobRegistration"/> under its constant id, in UTC.</summary>
    public static WebApplication UseBackgroundJobs(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<JobsOptions>();
        var recurring = app.Services.GetRequiredService<IRecurringJobManager>();
        var utc = new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc };
        foreach (var job in app.Services.GetServices<RecurringJobRegistration>())
            job.Apply(recurring, options, utc);
        return app;
    }
}

/// <summary>
/// The <c>Jobs</c> section: <c>Jobs:RunServer</c> (default true; false in the Testing environment, where
/// tests call the job classes directly with a fake clock), <c>Jobs:Storage</c>, <c>Jobs:Sqlite:*</c> and the
/// cron of each recurring job (<c>Jobs:Cron:*</c>, six fields = with seconds). Bound like every options class,
/// but also read once before the container is built (<see cref="HangfireSetup.AddBackgroundJobs"/> must know
/// whether to add a server and which storage), so the defaults that depend on the environment and the
/// database are filled in by <see cref="ApplyDefaults"/> on both paths and the same validator runs on both.
/// </summary>
public sealed class JobsOptions
{
    public const string Section = "Jobs";

    public bool? RunServer { get; set; }

    /// <summary><c>Jobs:Storage</c>: <c>Sqlite</c>, <c>InMemory</c> or <c>Postgres</c>; see <see cref="DefaultStorage"/>.</summary>
    public JobStorageKind? Storage { get; set; }

    public JobsSqliteOptions Sqlite { get; set; } = new();

    public JobsCronOptions Cron { get; set; } = new();

    public bool ServerRuns => RunServer == true;
    public string ProjectEventsCron => Cron.ProjectEvents;
    public string CartAbandonmentCron => Cron.CartAbandonment;
    public string OutboxCron => Cron.Outbox;
    public string TokensExpireCron => Cron.TokensExpire;
    public string AnalyticsRollupCron => Cron.AnalyticsRollup;
    public string PrivacyRetentionCron => Cron.PrivacyRetention;
    public string CampaignsCron => Cron.Campaigns;
    public string SqlitePath => Sqlite.Path ?? DefaultSqlitePath;
    public TimeSpan SqliteInvisibilityTimeout => Sqlite.InvisibilityTimeout;

    public const string DefaultSqlitePath = "happitrack-jobs.db";

    /// <summary>Reads the section before the container exists: bound, defaulted and validated exactly as the registered options.</summary>
    public static JobsOptions Read(IConfiguration configuration, IHostEnvironment environment, DatabaseOptions database)
    {
        var options = configuration.GetSection(Section).Get<JobsOptions>() ?? new JobsOptions();
        options.ApplyDefaults(environment, database);
        var result = new JobsOptionsValidator(database).Validate(null, options);
        if (result.Failed) throw new OptionsValidationException(Options.DefaultName, typeof(JobsOptions), result.Failures);
        return options;
    }

    public void ApplyDefaults(IHostEnvironment environment, DatabaseOptions database)
    {
        RunServer ??= !environment.IsEnvironment("Testing");
        Storage ??= DefaultStorage(database, environment);
        if (string.IsNullOrEmpty(Sqlite.Path)) Sqlite.Path = SqlitePathBeside(database);
    }

    /// <summary>PostgreSQL's database when the app runs on it; memory in the Testing environment (fast, isolated); else the jobs file.</summary>
    public static JobStorageKind DefaultStorage(DatabaseOptions database, IHostEnvironment environment) =>
        database.IsPostgres ? JobStorageKind.Postgres
        : environment.IsEnvironment("Testing") ? JobStorageKind.InMemory
        : JobStorageKind.Sqlite;

    /// <summary><c>Data Source=/data/shop.db</c> gives <c>/data/shop-jobs.db</c>, so backups and volumes that hold one hold both.</summary>
    internal static string SqlitePathBeside(DatabaseOptions database)
    {
        if (database.IsPostgres) return DefaultSqlitePath;
        string? source;
        try
        {
            source = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(database.ConnectionString).DataSource;
        }
        catch (ArgumentException)
        {
            return DefaultSqlitePath;
        }
        if (string.IsNullOrWhiteSpace(source) || source.StartsWith(':') || source.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            return DefaultSqlitePath;
        return Path.Combine(Path.GetDirectoryName(source) ?? "", Path.GetFileNameWithoutExtension(source) + "-jobs.db");
    }
}

public sealed class JobsSqliteOptions
{
    /// <summary><c>Jobs:Sqlite:Path</c>: the jobs' own file, by default beside the app database as <c>{name}-jobs.db</c>.</summary>
    public string? Path { get; set; }

    /// <summary><c>Jobs:Sqlite:InvisibilityTimeout</c>: how long before a job whose process died is run again.</summary>
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(10);
}

public sealed class JobsCronOptions
{
    public string ProjectEvents { get; set; } = "*/5 * * * * *";
    public string CartAbandonment { get; set; } = "*/30 * * * * *";
    public string Outbox { get; set; } = "*/5 * * * * *";
    public string TokensExpire { get; set; } = "0 */5 * * * *";
    /// <summary>Five fields: every five minutes.</summary>
    public string AnalyticsRollup { get; set; } = "*/5 * * * *";
    /// <summary>Five fields: hourly, off the top of the hour.</summary>
    public string PrivacyRetention { get; set; } = "17 * * * *";
    /// <summary>Five fields: every minute, so a scheduled campaign starts within a minute of its time.</summary>
    public string Campaigns { get; set; } = "* * * * *";
}

public sealed class JobsOptionsValidator(DatabaseOptions database) : IValidateOptions<JobsOptions>
{
    public ValidateOptionsResult Validate(string? name, JobsOptions options)
    {
        var errors = new List<string>();
        if (options.Storage is { } storage && !Enum.IsDefined(storage))
            errors.Add($"Jobs:Storage must be Sqlite, InMemory or Postgres, not '{storage}'.");
        if (options.Storage == JobStorageKind.Postgres && !database.IsPostgres)
            errors.Add("Jobs:Storage is Postgres but Database:Provider is not: the jobs live in the app's PostgreSQL database.");
        if (options.Sqlite.InvisibilityTimeout <= TimeSpan.Zero)
            errors.Add("Jobs:Sqlite:InvisibilityTimeout must be positive.");
        foreach (var (key, cron) in new[] { ("ProjectEvents", options.Cron.ProjectEvents), ("CartAbandonment", options.Cron.CartAbandonment),
                     ("Outbox", options.Cron.Outbox), ("TokensExpire", options.Cron.TokensExpire), ("AnalyticsRollup", options.Cron.AnalyticsRollup), ("PrivacyRetention", options.Cron.PrivacyRetention),
                     ("Campaigns", options.Cron.Campaigns) })
        {
            if (string.IsNullOrWhiteSpace(cron)) errors.Add($"Jobs:Cron:{key} must not be empty.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

public enum JobStorageKind
{
    Sqlite,
    InMemory,
    Postgres,
}

/// <summary>
/// Immediate enqueue on write, at most one pending run per job: a flag is set when a run is
/// enqueued and cleared when it starts, so a burst of pokes costs one job. Missed pokes are
/// harmless; the recurring job runs anyway.
/// </summary>
public sealed class HangfireTriggers(IBackgroundJobClient jobs, JobsOptions options) : IProjectEventsTrigger, IOutboxTrigger
{
    private int _projectionPending;
    private int _dispatchPending;

    public void EventsWritten()
    {
        if (!options.ServerRuns || Interlocked.Exchange(ref _projectionPending, 1) == 1) return;
        jobs.Enqueue<ProjectEventsJob>(j => j.RunAsync(CancellationToken.None));
    }

    public void NudgeWritten()
    {
        if (!options.ServerRuns || Interlocked.Exchange(ref _dispatchPending, 1) == 1) return;
        jobs.Enqueue<OutboxDispatchJob>(j => j.RunAsync(CancellationToken.None));
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
