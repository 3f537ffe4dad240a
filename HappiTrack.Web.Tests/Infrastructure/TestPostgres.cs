using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace HappiTrack.Web.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL server the tests use: scripts/test.sh starts a throwaway one (scripts/pg.sh) and
/// exports its connection string as <c>HT_TEST_POSTGRES</c>; <c>HT_TEST_PROVIDER=Postgres</c> runs the
/// whole integration suite on it. Each factory gets its own database, created here and dropped on dispose.
/// </summary>
public static class TestPostgres
{
    public const string ServerVariable = "HT_TEST_POSTGRES";
    public const string ProviderVariable = "HT_TEST_PROVIDER";

    public static string? ServerConnectionString => Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } s ? s : null;

    /// <summary>Provider for factories that do not choose one: <c>HT_TEST_PROVIDER</c>, else SQLite.</summary>
    public static bool SuiteRunsOnPostgres =>
        string.Equals(Environment.GetEnvironmentVariable(ProviderVariable), "Postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>Outside CI a developer without PostgreSQL may skip these tests; in CI they must run.</summary>
    public static string? SkipReason =>
        ServerConnectionString is null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))
            ? $"{ServerVariable} is not set (scripts/test.sh starts a server and sets it)"
            : null;

    private static string Server => ServerConnectionString
        ?? throw new InvalidOperationException($"PostgreSQL tests need {ServerVariable}: run them through scripts/test.sh, or start a server with scripts/pg.sh start and export its connection string.");

    /// <summary>The same key (e.g. a SQLite test's file path) always names the same database, so restart tests work unchanged.</summary>
    public static string DatabaseNameFor(string key) =>
        "ht_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..24];

    public static string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(Server) { Database = database }.ConnectionString;

    /// <summary>
    /// Creates the database unless it exists (a restart test's second host): by default as a copy of the
    /// migrated template (<see cref="MigratedTemplates"/>), else empty, for a test of the app's own migration.
    /// </summary>
    public static void EnsureDatabase(string database, bool fromMigratedTemplate = true)
    {
        using (var connection = Maintenance())
        using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection))
        {
            exists.Parameters.AddWithValue("name", database);
            if (exists.ExecuteScalar() is not null) return;
        }
        CreateDatabase(database, fromMigratedTemplate ? MigratedTemplates.Postgres : null);
    }

    public static void CreateDatabase(string database, string? template)
    {
        using var connection = Maintenance();
        using var create = new NpgsqlCommand(template is null
            ? $"CREATE DATABASE \"{database}\""
            : $"CREATE DATABASE \"{database}\" TEMPLATE \"{template}\"", connection);
        create.ExecuteNonQuery();
    }

    public static async Task DropDatabaseAsync(string database)
    {
        NpgsqlConnection.ClearPool(new NpgsqlConnection(ConnectionStringFor(database)));
        await using var connection = Maintenance();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    private static NpgsqlConnection Maintenance()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Server) { Database = "postgres", Pooling = false }.ConnectionString);
        connection.Open();
        return connection;
    }
}

/// <summary>A fact that needs PostgreSQL: skipped only outside CI when no server is configured.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute() => Skip = TestPostgres.SkipReason;
}
