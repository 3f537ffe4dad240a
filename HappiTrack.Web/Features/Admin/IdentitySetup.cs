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
    /// How long a session cookie can outlive a sign-out, a disabled account, a reset password or a
    /// role change (each changes the security stamp, or the roles the next check reloads).
    /// </summary>
    public static readonly TimeSpan SecurityStampValidationInterval = TimeSpan.FromMinutes(1);

    /// <summary>
    /// ASP.NET Core Identity with roles Admin and Analyst, its session cookie, persisted data-protection
    /// keys (so sessions survive a restart), the first-admin seeding and the per-IP limit on sign-in attempts.
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
            options.Events.OnRedirectToLogin = async context =>
            {
                // The admin API answers 401 itself (ApiTokenAuthenticationHandler); this covers cookie-only APIs such as analytics.
                if (IsApi(context.Request))
                    await TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Authentication required",
                        detail: $"Sign in at {LoginPath}.").ExecuteAsync(context.HttpContext);
                else
                    context.Response.Redirect(context.RedirectUri);
            };
            options.Events.OnRedirectToAccessDenied = async context =>
            {
                var logger = context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(IdentitySetup));
                logger.LogWarning("Denied {User} access to {Method} {Path}",
                    EmailMask.Mask(context.HttpContext.User.Identity?.Name), context.Request.Method, context.Request.Path);
                // A signed-in user without the role gets a 403 (the status-code page renders it), not a redirect.
                if (IsApi(context.Request))
                    await TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden").ExecuteAsync(context.HttpContext);
                else
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
            };
        });

        services.Configure<SecurityStampValidatorOptions>(options => options.ValidationInterval = SecurityStampValidationInterval);
        services.Configure<AntiforgeryOptions>(options => options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);

        services.AddDataProtection()
            .SetApplicationName("HappiTrack")
            .PersistKeysToDbContext<AppDbContext>();

        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section).ValidateOnStart();
        services.AddHostedService<AdminSeeder>();
        services.AddLoginRateLimit();
        return services;
    }

    private static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/api");

    public static bool IsDisabled(this IdentityUser user) => user.LockoutEnd == DateTimeOffset.MaxValue;
}
