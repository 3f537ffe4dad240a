using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Admin;
using HappiTrack.Web.Infrastructure;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace HappiTrack.Web.Tests.Admin;

/// <summary>
/// On PostgreSQL several instances share one database: the first-admin seeder must take the same
/// advisory lock as migrations, or two instances starting together both insert the admin and the
/// roles, and the loser's unique-index violation stops its start-up.
/// </summary>
public sealed class AdminSeederLockTests
{
    [PostgresFact]
    public async Task The_seeder_waits_for_the_start_up_lock_before_it_creates_the_admin()
    {
        await using var app = new AdminFactory(HappiTrackFactory.NewDatabasePath(), provider: DatabaseProvider.Postgres);
        var seeder = app.Services.GetServices<IHostedService>().OfType<AdminSeeder>().Single();
        await DeleteAdminAsync(app);

        await using var holder = new NpgsqlConnection(app.ConnectionString);
        await holder.OpenAsync();
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({DataServiceCollectionExtensions.MigrationLockKey})", holder))
            await take.ExecuteNonQueryAsync();

        var seeding = seeder.StartAsync(CancellationToken.None);
        await Task.WhenAny(seeding, Task.Delay(TimeSpan.FromSeconds(1.5)));
        Assert.False(seeding.IsCompleted, "the seeder ran while another instance held the start-up lock");
        Assert.Empty(await AdminsAsync(app));

        await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({DataServiceCollectionExtensions.MigrationLockKey})", holder))
            await release.ExecuteNonQueryAsync();
        await seeding.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(AdminFactory.AdminEmail, Assert.Single(await AdminsAsync(app)).Email);
    }

    [PostgresFact]
    public async Task Four_instances_starting_at_once_on_a_fresh_database_all_start_with_one_admin_and_each_role_once()
    {
        var key = HappiTrackFactory.NewDatabasePath();
        // Empty, not the migrated template: the four race on the migrations as well as on the seed.
        TestPostgres.EnsureDatabase(TestPostgres.DatabaseNameFor(key), fromMigratedTemplate: false);
        var instances = Enumerable.Range(0, 4)
            .Select(i => new AdminFactory(key, provider: DatabaseProvider.Postgres) { DeleteDatabaseOnDispose = i == 0 })
            .ToList();
        try
        {
            using var go = new ManualResetEventSlim();
            var starts = instances.Select(instance => Task.Run(() =>
            {
                go.Wait();
                _ = instance.Services;
            })).ToList();
            go.Set();
            await Task.WhenAll(starts);

            var admins = await AdminsAsync(instances[0]);
            Assert.Equal(AdminFactory.AdminEmail, Assert.Single(admins).Email);
            // No instance logged a failure: no lost race on the admin, the rule settings or Hangfire's schema
            // (EF's probe for the migrations table, before the first migration, is the one expected error).
            var errors = instances.SelectMany(i => i.Logs.Entries)
                .Where(e => e.Level >= LogLevel.Error && !e.Message.Contains("__EFMigrationsHistory")).ToList();
            Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e.Category}: {e.Message}")));
            await using var scope = instances[0].Services.CreateAsyncScope();
            var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>().Roles.Select(r => r.Name).ToList();
            Assert.Equal([AuthPolicies.AdminRole, AuthPolicies.AnalystRole], roles.Order());
        }
        finally
        {
            // The one that drops the database goes last.
            foreach (var instance in instances.AsEnumerable().Reverse()) await instance.DisposeAsync();
        }
    }

    private static async Task<IList<IdentityUser>> AdminsAsync(AdminFactory app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().GetUsersInRoleAsync(AuthPolicies.AdminRole);
    }

    private static async Task DeleteAdminAsync(AdminFactory app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        Assert.True((await users.DeleteAsync((await users.FindByEmailAsync(AdminFactory.AdminEmail))!)).Succeeded);
    }
}
