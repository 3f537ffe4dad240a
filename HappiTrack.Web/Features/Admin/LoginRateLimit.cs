using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Admin;

/// <summary>
/// <c>Admin:LoginRateLimit</c>: sign-in attempts (POSTs to the login page) one client IP may make per
/// window. The per-account lockout stops guessing one password; this stops one address spraying
/// many accounts, and each refused attempt costs no password hash.
/// </summary>
public sealed class LoginRateLimitOptions
{
    public const string Section = "Admin:LoginRateLimit";

    public int Permits { get; set; } = 10;
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// The rate-limiter policy on the login page. Only POSTs count; a refused one gets 429 with
/// Retry-After and an empty body, so the status-code pages show the friendly "Too many requests" page.
/// </summary>
internal sealed class LoginRateLimitPolicy(IOptions<LoginRateLimitOptions> options, ILogger<LoginRateLimitPolicy> logger) : IRateLimiterPolicy<string>
{
    public const string Name = "admin-login";

    public RateLimitPartition<string> GetPartition(HttpContext http)
    {
        if (!HttpMethods.IsPost(http.Request.Method)) return RateLimitPartition.GetNoLimiter("");
        var limits = options.Value;
        return RateLimitPartition.GetFixedWindowLimiter("login:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown"),
            _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = Math.Max(1, limits.Permits),
                Window = limits.Window,
                QueueLimit = 0,
            });
    }

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => (context, _) =>
    {
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : options.Value.Window;
        context.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.HttpContext.Response.Headers.RetryAfter =
            Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        logger.LogWarning("Refused a sign-in attempt from {RemoteIp}: too many attempts from this address", context.HttpContext.Connection.RemoteIpAddress);
        return ValueTask.CompletedTask;
    };
}

public static class LoginRateLimitExtensions
{
    /// <summary>Adds the policy and puts it on the Admin area's login page (the limiter middleware is <c>UseRateLimiter</c> in Program.cs).</summary>
    public static IServiceCollection AddLoginRateLimit(this IServiceCollection services)
    {
        services.AddOptions<LoginRateLimitOptions>().BindConfiguration(LoginRateLimitOptions.Section);
        services.Configure<RateLimiterOptions>(limiter => limiter.AddPolicy<string, LoginRateLimitPolicy>(LoginRateLimitPolicy.Name));
        services.Configure<RazorPagesOptions>(pages => pages.Conventions.AddAreaPageApplicationModelConvention("Admin", "/Login",
            page => page.EndpointMetadata.Add(new EnableRateLimitingAttribute(LoginRateLimitPolicy.Name))));
        return services;
    }
}
