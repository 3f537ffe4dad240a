using HappiTrack.Web.Data;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;

namespace HappiTrack.Web.Features.Admin;

public static class IdentitySetup
{
    public const string LoginPath = "/admin/login";
    public const string LogoutPath = "/admin/logout";
    public const string SessionCookieName = "ht_session";
    public static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);
    public const int MaxFailedAttempts = 5;
    public const int MinPasswordLength = 12;

    /// <summary>
    /// ASP.NET Core Identity with roles Admin and Analyst, its session cookie, persisted data-protection
    /// keys (so sessions survive a restart) and the first-admin seeding.
    /// </summary>
    public static IServiceCollection AddIdentitySetup(this IServiceCollection services)
    {
        services.AddIdentity<IdentityUser, IdentityRole>(options =>
            {
                // Length is what makes passwords strong; composition rules only push people to "Password1!" (NIST SP 800-63B).
                options.Password.RequiredLength = MinPasswordLength;
                options.Password.RequireDigit = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequiredUniqueChars = 1;
                options.Lockout.MaxFailedAccessAttempts = MaxFailedAttempts;
                options.Lockout.DefaultLockoutTimeSpan = LockoutDuration;
                options.Lockout.AllowedForNewUsers = true;
                options.User.RequireUniqueEmail = true;
                options.SignIn.RequireConfirmedAccount = false;
            })
            .AddEntityFrameworkStores<AppDbContext>()
            .AddDefaultTokenProviders();

        services.ConfigureApplicationCookie(options =>
        {
            options.Cookie.Name = SessionCookieName;
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.SlidingExpiration = true;
            options.ExpireTimeSpan = TimeSpan.FromHours(8);
            options.LoginPath = LoginPath;
            options.LogoutPath = LogoutPath;
            options.Events.OnRedirectToLogin = context =>
            {
                // APIs answer 401 themselves (ApiTokenAuthenticationHandler); this only guards a cookie-only API policy.
                if (context.Request.Path.StartsWithSegments("/api"))
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                else
                    context.Response.Redirect(context.RedirectUri);
                return Task.CompletedTask;
            };
            options.Events.OnRedirectToAccessDenied = context =>
            {
                // A signed-in user without the role gets a plain 403 (rendered by the status-code page), not a redirect.
                var logger = context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(IdentitySetup));
                logger.LogWarning("Denied {User} access to {Method} {Path}",
                    EmailMask.Mask(context.HttpContext.User.Identity?.Name), context.Request.Method, context.Request.Path);
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            };
        });

        // A disabled user or a reset password ends open sessions within this interval (the security stamp changes).
        services.Configure<SecurityStampValidatorOptions>(options => options.ValidationInterval = TimeSpan.FromMinutes(1));
        services.Configure<AntiforgeryOptions>(options => options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);

        services.AddDataProtection()
            .SetApplicationName("HappiTrack")
            .PersistKeysToDbContext<AppDbContext>();

        services.AddHostedService<AdminSeeder>();
        return services;
    }

    public static bool IsDisabled(this IdentityUser user) => user.LockoutEnd == DateTimeOffset.MaxValue;
}
