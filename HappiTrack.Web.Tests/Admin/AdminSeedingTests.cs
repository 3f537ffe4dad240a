using System.Net;
using HappiTrack.Web.Features.Admin;
using HappiTrack.Web.Infrastructure;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HappiTrack.Web.Tests.Admin;

public sealed class AdminSeedingTests
{
    private static async Task<IList<IdentityUser>> AdminsAsync(AdminFactory factory)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().GetUsersInRoleAsync(AuthPolicies.AdminRole);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Testing")]
    public async Task Outside_Development_no_default_admin_is_seeded_and_the_error_says_how_to_configure_one(string environment)
    {
        await using var factory = new AdminFactory(HappiTrackFactory.NewDatabasePath(), configureAdmin: false, environment: environment);

        Assert.Empty(await AdminsAsync(factory));
        Assert.Contains(factory.Logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("Admin__Email") && e.Message.Contains("Admin__Password"));
        Assert.DoesNotContain(factory.Logs.Messages, m => m.Contains(AdminSeeder.DevelopmentPassword));
        var login = await AdminFactory.PostLoginAsync(factory.NewClient(), AdminSeeder.DevelopmentEmail, AdminSeeder.DevelopmentPassword);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await factory.NewClient().GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task In_Development_the_documented_default_admin_is_seeded_and_announced()
    {
        await using var factory = new AdminFactory(HappiTrackFactory.NewDatabasePath(), configureAdmin: false, environment: "Development");

        var admin = Assert.Single(await AdminsAsync(factory));
        Assert.Equal(AdminSeeder.DevelopmentEmail, admin.Email);
        Assert.Single(factory.Logs.Messages, m => m.Contains(AdminSeeder.DevelopmentEmail) && m.Contains(AdminSeeder.DevelopmentPassword));
        var login = await AdminFactory.PostLoginAsync(factory.NewClient(), AdminSeeder.DevelopmentEmail, AdminSeeder.DevelopmentPassword);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
    }

    [Fact]
    public async Task Seeding_the_configured_admin_is_idempotent_and_never_overwrites_a_changed_password()
    {
        var path = HappiTrackFactory.NewDatabasePath();
        await using (var first = new AdminFactory(path) { DeleteDatabaseOnDispose = false })
        {
            Assert.Single(await AdminsAsync(first));
            await using var scope = first.Services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            var admin = await users.FindByEmailAsync(AdminFactory.AdminEmail);
            Assert.True((await users.ChangePasswordAsync(admin!, AdminFactory.AdminPassword, "the owner's own password")).Succeeded);
        }

        await using var restarted = new AdminFactory(path);
        Assert.Single(await AdminsAsync(restarted));
        Assert.Equal(HttpStatusCode.Redirect,
            (await AdminFactory.PostLoginAsync(restarted.NewClient(), AdminFactory.AdminEmail, "the owner's own password")).StatusCode);
    }

    [Fact]
    public async Task A_configured_password_that_breaks_the_policy_is_reported_not_seeded_and_the_app_still_runs()
    {
        await using var factory = new AdminFactory(HappiTrackFactory.NewDatabasePath(), configureAdmin: false);
        factory.Settings["Admin:Email"] = "boss@example.com";
        factory.Settings["Admin:Password"] = "short";

        Assert.Empty(await AdminsAsync(factory));
        Assert.Contains(factory.Logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("b***@example.com") && e.Message.Contains("12"));
        Assert.DoesNotContain(factory.Logs.Messages, m => m.Contains("boss@example.com"));
        Assert.Equal(HttpStatusCode.OK, (await factory.NewClient().GetAsync("/")).StatusCode);
    }
}
