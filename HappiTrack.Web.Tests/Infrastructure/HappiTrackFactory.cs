using HappiTrack.Web.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace HappiTrack.Web.Tests.Infrastructure;

/// <summary>
/// The real app over a real, private SQLite file, or a private PostgreSQL database when the suite
/// runs with <c>HT_TEST_PROVIDER=Postgres</c> (see <see cref="TestPostgres"/>). Time is a <see cref="FakeTimeProvider"/> that
/// tests move by hand; it starts at noon UTC so quiet hours do not interfere unless a test wants them.
/// The day is today's: anything the app hands a client with an absolute date (cookies, signed links) is judged by
/// the client's real clock, so a fake clock pinned to a fixed day breaks the suite once the calendar passes it.
/// </summary>
public class HappiTrackFactory : WebApplicationFactory<Program>
{
    public static readonly DateTimeOffset DefaultStart = new(DateTime.UtcNow.Date.AddHours(12), TimeSpan.Zero);

    /// <summary>The shop day of <see cref="DefaultStart"/> (the shop runs on UTC in tests).</summary>
    public static DateOnly Today => DateOnly.FromDateTime(DefaultStart.UtcDateTime);

    public HappiTrackFactory() : this(NewDatabasePath()) { }

    /// <summary>Point a second factory at an existing file to test what survives a restart.</summary>
    public HappiTrackFactory(string databasePath) : this(databasePath, SuiteProvider) { }

    /// <summary>The provider of factories that do not choose one (<c>HT_TEST_PROVIDER</c>).</summary>
    public static DatabaseProvider SuiteProvider => TestPostgres.SuiteRunsOnPostgres ? DatabaseProvider.Postgres : DatabaseProvider.Sqlite;

    /// <param name="databasePath">The SQLite file, or on PostgreSQL the key its database name derives from.</param>
    public HappiTrackFactory(string databasePath, DatabaseProvider provider)
    {
        DatabasePath = databasePath;
        Provider = provider;
        if (provider == DatabaseProvider.Postgres) PostgresDatabase = TestPostgres.DatabaseNameFor(databasePath);
    }

    public string DatabasePath { get; }
    public DatabaseProvider Provider { get; }
    public string? PostgresDatabase { get; }

    public string ConnectionString => PostgresDatabase is { } database
        ? TestPostgres.ConnectionStringFor(database)
        : $"Data Source={DatabasePath}";
    public FakeTimeProvider Clock { get; } = new(DefaultStart);
    /// <summary>Configuration overrides; set before the first client or service is requested.</summary>
    /// <remarks>
    /// The Deal of the Day is a real discount, and the rotation would make it land on whichever product a test
    /// buys one day in 28. The suite holds it on a product no price assertion uses; tests of the deal set
    /// <c>Shop:FeaturedDeal</c> to "" (the rotation) or to the product they need.
    /// </remarks>
    public Dictionary<string, string?> Settings { get; } = new() { ["Shop:FeaturedDeal"] = SuiteDealSlug };

    public const string SuiteDealSlug = "steelseries-arctis-nova-7";
    public bool DeleteDatabaseOnDispose { get; set; } = true;
    /// <summary>
    /// A new database starts as a copy of the migrated template (<see cref="MigratedTemplates"/>); false leaves it
    /// empty, so the app migrates it itself on start. An existing database is used as it is either way.
    /// </summary>
    public bool StartFromMigratedTemplate { get; set; } = true;

    /// <summary>The rules' holdout settings (default 10 % in production), set to 0 for the suite unless a test overrides them.</summary>
    public static readonly string[] NoHoldouts =
        ["Rules:InterestDiscount:HoldoutPercent", "Rules:CartRescue:HoldoutPercent", "Rules:Vip:HoldoutPercent"];

    public static string NewDatabasePath() =>
        Path.Combine(Path.GetTempPath(), $"happitrack-test-{Guid.NewGuid():N}.db");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        if (PostgresDatabase is not null) TestPostgres.EnsureDatabase(PostgresDatabase, StartFromMigratedTemplate);
        else if (StartFromMigratedTemplate) MigratedTemplates.CopySqliteTo(DatabasePath);
        builder.UseSetting("Database:Provider", Provider.ToString());
        builder.UseSetting("ConnectionStrings:Default", ConnectionString);
        // Scenarios expect every eligible contact to be messaged; the holdout tests (Analytics/Lift*) set their own percentages.
        foreach (var rule in NoHoldouts) builder.UseSetting(rule, "0");
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
        });
    }

    /// <summary>A fresh DbContext on the app's database, for arranging and asserting.</summary>
    private readonly List<AsyncServiceScope> _contextScopes = [];

    /// <summary>
    /// A context for a quick read in an assertion. Its scope is disposed with the factory, so the
    /// pooled context goes back to the pool instead of staying rented; prefer <see cref="WithDbAsync"/>.
    /// </summary>
    public AppDbContext CreateDbContext()
    {
        var scope = Services.CreateAsyncScope();
        lock (_contextScopes) _contextScopes.Add(scope);
        return scope.ServiceProvider.GetRequiredService<AppDbContext>();
    }

    public async Task WithDbAsync(Func<AppDbContext, Task> action)
    {
        await using var scope = Services.CreateAsyncScope();
        await action(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    public async Task<T> WithDbAsync<T>(Func<AppDbContext, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    public override async ValueTask DisposeAsync()
    {
        AsyncServiceScope[] scopes;
        lock (_contextScopes) { scopes = [.. _contextScopes]; _contextScopes.Clear(); }
        foreach (var scope in scopes) await scope.DisposeAsync();
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
        if (!DeleteDatabaseOnDispose) return;
        if (PostgresDatabase is not null)
        {
            await TestPostgres.DropDatabaseAsync(PostgresDatabase);
            return;
        }
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            try { File.Delete(DatabasePath + suffix); } catch (IOException) { /* a pooled handle on another test's thread; the OS temp dir cleans up */ }
        }
    }
}
