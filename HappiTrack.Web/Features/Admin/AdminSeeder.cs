using Microsoft.Extensions.Options;
using HappiTrack.Web.Data;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Identity;

namespace HappiTrack.Web.Features.Admin;

/// <summary>
/// Makes sure the roles exist and that there is a first admin, from <c>Admin:Email</c> /
/// <c>Admin:Password</c>. Idempotent: an existing account keeps its password (the configured one is
/// only the initial password) and is only put back into the Admin role.
/// In Development without configuration it seeds <see cref="DevelopmentEmail"/> /
/// <see cref="DevelopmentPassword"/> (documented in README.md); everywhere else it refuses to invent
/// an account and logs how to configure one, while the storefront keeps running.
/// </summary>
public sealed class AdminSeeder(
    IServiceProvider services,
    IOptions<AdminOptions> admin,
    IHostEnvironment environment,
    ILogger<AdminSeeder> logger) : IHostedService
{
    public const string DevelopmentEmail = "admin@happitrack.local";
    public const string DevelopmentPassword = "happitrack-dev-admin";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        // Two instances starting together would both find no admin (or no role) and both insert it;
        // the loser's unique-index violation would stop its start-up.
        await scope.ServiceProvider.GetRequiredService<AppDbContext>()
            .RunUnderStartupLockAsync(() => SeedAsync(scope.ServiceProvider), cancellationToken);
    }

    private async Task SeedAsync(IServiceProvider scoped)
    {
        var roles = scoped.GetRequiredService<RoleManager<IdentityRole>>();
        var users = scoped.GetRequiredService<UserManager<IdentityUser>>();

        foreach (var role in new[] { AuthPolicies.AdminRole, AuthPolicies.AnalystRole })
        {
            if (!await roles.RoleExistsAsync(role))
                await roles.CreateAsync(new IdentityRole(role));
        }

        if (!environment.IsDevelopment()) await RetireDevelopmentAdminAsync(scoped, users);

        var email = admin.Value.Email;
        var password = admin.Value.Password;
        var configured = !string.IsNullOrWhiteSpace(email) && !string.IsNullOrEmpty(password);

        if (!configured && (!string.IsNullOrWhiteSpace(email) || !string.IsNullOrEmpty(password)))
        {
            logger.LogError("Admin:Email and Admin:Password must be set together; no admin account was seeded.");
            return;
        }

        if (!configured)
        {
            if (!environment.IsDevelopment())
            {
                if ((await users.GetUsersInRoleAsync(AuthPolicies.AdminRole)).Count == 0)
                {
                    logger.LogError(
                        "No admin account exists and none is configured. Set Admin__Email and Admin__Password " +
                        "(environment variables or user secrets) and restart; a default account is only seeded in Development.");
                }
                return;
            }
            email = DevelopmentEmail;
            password = DevelopmentPassword;
            // The password is shown once, in the start-up banner, so it is the last thing on screen.
            logger.LogWarning(
                "No admin is configured: the Development admin {Email} is used (its password is in the start-up banner). " +
                "Set Admin:Email and Admin:Password to use your own account.",
                DevelopmentEmail);
        }

        await EnsureAdminAsync(users, email!.Trim(), password!);
    }

    /// <summary>
    /// A database first run in Development holds <see cref="DevelopmentEmail"/> with a password
    /// printed in the README; outside Development that account is disabled (sessions and API tokens
    /// end with it) and every start-up says so until someone deletes it. The login page refuses it as
    /// well, so it stays shut even if this step is raced or undone.
    /// </summary>
    private async Task RetireDevelopmentAdminAsync(IServiceProvider scoped, UserManager<IdentityUser> users)
    {
        var dev = await users.FindByEmailAsync(DevelopmentEmail);
        if (dev is null) return;
        if (!dev.IsDisabled())
        {
            await users.SetLockoutEnabledAsync(dev, true);
            await users.SetLockoutEndDateAsync(dev, DateTimeOffset.MaxValue);
            await users.UpdateSecurityStampAsync(dev);
            await scoped.GetRequiredService<ApiTokenService>().RevokeAllCreatedByAsync(dev.UserName!, "start-up", CancellationToken.None);
        }
        logger.LogError(
            "The Development admin account {Email} exists in the {Environment} environment; it is disabled and cannot sign in. " +
            "Set Admin__Email and Admin__Password for a real admin account, then remove this one from AspNetUsers.",
            DevelopmentEmail, environment.EnvironmentName);
    }

    /// <summary>Whether this account may sign in here: the Development account only in Development.</summary>
    public static bool MaySignIn(IdentityUser user, IHostEnvironment environment) =>
        environment.IsDevelopment() || !string.Equals(user.Email, DevelopmentEmail, StringComparison.OrdinalIgnoreCase);

    private async Task EnsureAdminAsync(UserManager<IdentityUser> users, string email, string password)
    {
        var user = await users.FindByEmailAsync(email);
        if (user is null)
        {
            user = new IdentityUser { UserName = email, Email = email, EmailConfirmed = true };
            var created = await users.CreateAsync(user, password);
            if (!created.Succeeded)
            {
                logger.LogError("Could not create the admin account {Email}: {Errors}",
                    EmailMask.Mask(email), string.Join(" ", created.Errors.Select(e => e.Description)));
                return;
            }
            logger.LogInformation("Seeded admin account {Email}", EmailMask.Mask(email));
        }
        if (!await users.IsInRoleAsync(user, AuthPolicies.AdminRole))
            await users.AddToRoleAsync(user, AuthPolicies.AdminRole);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
