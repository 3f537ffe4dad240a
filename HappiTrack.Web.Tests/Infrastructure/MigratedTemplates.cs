using HappiTrack.Web.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace HappiTrack.Web.Tests.Infrastructure;

/// <summary>
/// One migrated, unseeded database per test process and provider, which each new test database starts
/// as a copy of. Migrating an empty database was most of a test host's start (hundreds per pass); a copy
/// is a file copy on SQLite and <c>CREATE DATABASE … TEMPLATE</c> on PostgreSQL. The app still runs its
/// own <c>MigrateAndSeedAsync</c> on every start: it finds no pending migration and seeds as before, so
/// settings that shape the seed (shop zone, environment) still apply. The template is made by EF's own
/// <c>Migrate</c> over the same migrations, so a migration that fails fails every test;
/// <c>Operations/FreshDatabaseTests</c> keeps the app's path from an empty database covered on both providers.
/// </summary>
public static class MigratedTemplates
{
    private static readonly Lazy<string> SqliteFile = new(CreateSqliteTemplate, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<string> PostgresDatabase = new(CreatePostgresTemplate, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Copies the migrated template to <paramref name="path"/> unless a file is already there (a restart test's database).</summary>
    public static void CopySqliteTo(string path)
    {
        if (File.Exists(path)) return;
        File.Copy(SqliteFile.Value, path, overwrite: false);
    }

    /// <summary>The PostgreSQL template's name, created and migrated on first use.</summary>
    public static string Postgres => PostgresDatabase.Value;

    private static string CreateSqliteTemplate()
    {
        var path = Path.Combine(Path.GetTempPath(), $"happitrack-test-template-{Guid.NewGuid():N}.db");
        // No pooling: the file must be closed (and its journal gone) before anyone copies it.
        var options = new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite($"Data Source={path};Pooling=False").Options;
        using (var db = new SqliteAppDbContext(options)) db.Database.Migrate();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { File.Delete(path); } catch (IOException) { }
        };
        return path;
    }

    private static string CreatePostgresTemplate()
    {
        var name = $"ht_template_{Guid.NewGuid():N}"[..30];
        TestPostgres.CreateDatabase(name, template: null);
        // No pooling: CREATE DATABASE … TEMPLATE refuses a template that has open connections.
        var connectionString = new NpgsqlConnectionStringBuilder(TestPostgres.ConnectionStringFor(name)) { Pooling = false }.ConnectionString;
        var options = new DbContextOptionsBuilder<PostgresAppDbContext>().UseNpgsql(connectionString).Options;
        using (var db = new PostgresAppDbContext(options)) db.Database.Migrate();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { TestPostgres.DropDatabaseAsync(name).GetAwaiter().GetResult(); } catch (NpgsqlException) { /* the throwaway server may already be gone */ }
        };
        return name;
    }
}
