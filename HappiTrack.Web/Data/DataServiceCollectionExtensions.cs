using System.Data.Common;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Features.Sites;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace HappiTrack.Web.Data;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary><c>Database:Provider</c> and <c>ConnectionStrings:Default</c>, for the few places that must know the engine.</summary>
public sealed record DatabaseOptions(DatabaseProvider Provider, string ConnectionString)
{
    public const string DefaultSqlite = "Data Source=happitrack.db";

    public bool IsPostgres => Provider == DatabaseProvider.Postgres;

    /// <summary>
    /// Read before the container exists (it picks the EF provider in <see cref="DataServiceCollectionExtensions.AddAppDatabase"/>):
    /// the <c>Database</c> section bound with <c>Get</c> and checked by the same <see cref="DatabaseSettingsValidator"/> the
    /// registered options use; the connection string stays where ASP.NET Core keeps it, <c>ConnectionStrings:Default</c>.
    /// </summary>
    public static DatabaseOptions From(IConfiguration configuration)
    {
        var settings = configuration.GetSection(DatabaseSettings.Section).Get<DatabaseSettings>() ?? new DatabaseSettings();
        settings.ConnectionString = configuration.GetConnectionString("Default");
        var result = new DatabaseSettingsValidator().Validate(null, settings);
        if (result.Failed) throw new InvalidOperationException(result.FailureMessage);
        var provider = settings.ParsedProvider!.Value;
        var connectionString = string.IsNullOrWhiteSpace(settings.ConnectionString) ? DefaultSqlite : settings.ConnectionString;
        return new DatabaseOptions(provider, connectionString);
    }
}

/// <summary>The <c>Database</c> section (<c>Database:Provider</c>: Sqlite, the default, or Postgres) and <c>ConnectionStrings:Default</c>.</summary>
public sealed class DatabaseSettings
{
    public const string Section = "Database";

    public string? Provider { get; set; }

    /// <summary>Not in the section: filled from <c>ConnectionStrings:Default</c>.</summary>
    public string? ConnectionString { get; set; }

    public DatabaseProvider? ParsedProvider =>
        string.IsNullOrWhiteSpace(Provider) ? DatabaseProvider.Sqlite
        : Enum.TryParse<DatabaseProvider>(Provider.Trim(), ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) ? parsed
        : null;
}

public sealed class DatabaseSettingsValidator : Microsoft.Extensions.Options.IValidateOptions<DatabaseSettings>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, DatabaseSettings settings)
    {
        if (settings.ParsedProvider is not { } provider)
            return Microsoft.Extensions.Options.ValidateOptionsResult.Fail($"Database:Provider must be Sqlite or Postgres, not '{settings.Provider}'.");
        if (provider == DatabaseProvider.Postgres && string.IsNullOrWhiteSpace(settings.ConnectionString))
            return Microsoft.Extensions.Options.ValidateOptionsResult.Fail("Database:Provider is Postgres but ConnectionStrings:Default is not set.");
        return Microsoft.Extensions.Options.ValidateOptionsResult.Success;
    }
}

public static class DataServiceCollectionExtensions
{
    /// <summary>
    /// The PostgreSQL advisory lock every instance holds while it migrates and seeds (any fixed number:
    /// it only has to be the same on every instance).
    /// </summary>
    public const long MigrationLockKey = 7366278;

    public static IServiceCollection AddAppDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        var options = DatabaseOptions.From(configuration);
        services.AddSingleton(options);
        // The same section as bound options, so it is validated on start like every other one.
        services.AddOptions<DatabaseSettings>().BindConfiguration(DatabaseSettings.Section)
            .Configure(s => s.ConnectionString = configuration.GetConnectionString("Default")).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<DatabaseSettings>, DatabaseSettingsValidator>();
        if (options.IsPostgres)
        {
            services.AddDbContextPool<AppDbContext, PostgresAppDbContext>(db => db.UseNpgsql(options.ConnectionString));
        }
        else
        {
            services.AddDbContextPool<AppDbContext, SqliteAppDbContext>(db => db
                .UseSqlite(options.ConnectionString)
                .AddInterceptors(new SqlitePragmaInterceptor()));
        }
        return services;
    }

    /// <summary>Applies migrations and seeds reference data; safe to run on every start and on every instance.</summary>
    public static async Task MigrateAndSeedAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var shopZone = IanaZone(scope.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<ShopOptions>>().Value.TimeZone);
        if (db.Database.IsSqlite())
        {
            // WAL lets the tracker's writer and page readers work side by side; the mode is stored in the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            await db.Database.MigrateAsync(ct);
            await CatalogSeed.SeedAsync(db, ct);
            await SiteSeed.SeedAsync(db, shopZone, ct);
            return;
        }

        await db.RunUnderStartupLockAsync(async () =>
        {
            await db.Database.MigrateAsync(ct);
            await CatalogSeed.SeedAsync(db, ct);
            await SiteSeed.SeedAsync(db, shopZone, ct);
        }, ct);
    }

    /// <summary>The shop's zone as an IANA id (a site stores IANA ids; <c>Shop:TimeZone</c> may be a Windows id or empty).</summary>
    private static string IanaZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id)) return "UTC";
        var zone = ShopContext.ResolveZone(id);
        if (zone.HasIanaId) return zone.Id;
        return TimeZoneInfo.TryConvertWindowsIdToIanaId(zone.Id, out var iana) ? iana : "UTC";
    }

    /// <summary>
    /// Runs start-up work (migrations, reference data, the first admin) so that instances starting
    /// together take turns: on PostgreSQL under a session-level advisory lock, so the second waits and
    /// then finds everything in place. SQLite serves one instance, so the work simply runs.
    /// </summary>
    public static async Task RunUnderStartupLockAsync(this AppDbContext db, Func<Task> work, CancellationToken ct = default)
    {
        if (!db.Database.IsNpgsql())
        {
            await work();
            return;
        }
        // Its own unpooled connection: closing it is what releases the lock, whatever happens to the work.
        var lockConnectionString = new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString()) { Pooling = false }.ConnectionString;
        await using var lockConnection = new NpgsqlConnection(lockConnectionString);
        await lockConnection.OpenAsync(ct);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({MigrationLockKey})", lockConnection))
            await take.ExecuteNonQueryAsync(ct);
        await work();
    }
}

/// <summary>Per-connection SQLite settings that are not stored in the database file.</summary>
internal sealed class SqlitePragmaInterceptor : DbConnectionInterceptor
{
    // NORMAL is durable against a crash of the process in WAL mode; only an OS crash can lose the last commit.
    private const string Pragmas = "PRAGMA busy_timeout=10000; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
