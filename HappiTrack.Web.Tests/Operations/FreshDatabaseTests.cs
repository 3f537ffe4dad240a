using System.Data.Common;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Sites;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Operations;

/// <summary>
/// Test hosts start from a copy of a migrated template (<see cref="MigratedTemplates"/>). These keep the app's own
/// start on an empty database in every pass (SQLite and PostgreSQL), and prove that the copy is what the app would have made.
/// </summary>
public sealed class FreshDatabaseTests
{
    [Fact]
    public async Task The_app_migrates_and_seeds_an_empty_database_on_start()
    {
        await using var app = new HappiTrackFactory { StartFromMigratedTemplate = false };
        _ = app.Services;

        await app.WithDbAsync(async db =>
        {
            Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
            Assert.True(await db.Products.AnyAsync(), "the catalog was not seeded");
            Assert.True(await db.Set<Site>().AnyAsync(), "the site was not seeded");
            return 0;
        });
    }

    [Fact]
    public async Task A_database_copied_from_the_template_has_the_schema_and_seed_the_app_gives_an_empty_one()
    {
        await using var fresh = new HappiTrackFactory { StartFromMigratedTemplate = false };
        await using var copied = new HappiTrackFactory();
        _ = fresh.Services;
        _ = copied.Services;

        var freshSchema = await fresh.WithDbAsync(Schema);
        Assert.NotEmpty(freshSchema);
        Assert.Equal(freshSchema, await copied.WithDbAsync(Schema));
        Assert.Equal(await fresh.WithDbAsync(Seed), await copied.WithDbAsync(Seed));
    }

    private static async Task<List<string>> Schema(AppDbContext db)
    {
        var sql = db.Database.IsSqlite()
            ? "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY 1"
            : """
              SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
                FROM information_schema.columns WHERE table_schema = 'public'
              UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
              UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
              ORDER BY 1
              """;
        return await Strings(db, sql);
    }

    private static async Task<List<string>> Seed(AppDbContext db) =>
    [
        .. await db.Products.OrderBy(p => p.Slug).Select(p => p.Slug).ToListAsync(),
        .. await db.Set<Site>().OrderBy(s => s.Id).Select(s => s.Id + " " + s.Name + " " + s.TimeZone).ToListAsync(),
        .. await db.Database.GetAppliedMigrationsAsync(),
    ];

    private static async Task<List<string>> Strings(AppDbContext db, string sql)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        try
        {
            await using DbCommand command = connection.CreateCommand();
            command.CommandText = sql;
            var rows = new List<string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
            return rows;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
