using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Infrastructure;

public static class AuthPolicies
{
    /// <summary>The admin JSON API: an admin's bearer token (or, once logins exist, an admin's session).</summary>
    public const string AdminApi = "AdminApi";
    public const string AdminRole = "Admin";
    public const string AnalystRole = "Analyst";
    /// <summary>The analytics dashboards and exports: Admin or Analyst.</summary>
    public const string AnalyticsAccess = "AnalyticsAccess";
}

/// <summary>
/// <c>Authorization: Bearer &lt;token&gt;</c> for the admin API. The token configured as
/// <c>Admin:ApiToken</c> is accepted as an Admin; tokens are compared in constant time.
/// </summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IConfiguration configuration)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Task.FromResult(AuthenticateResult.NoResult());

        var presented = header["Bearer ".Length..].Trim();
        var configured = configuration["Admin:ApiToken"];
        if (string.IsNullOrEmpty(configured) || !FixedTimeEquals(presented, configured))
        {
            Logger.LogWarning("Rejected an admin API bearer token from {RemoteIp}", Context.Connection.RemoteIpAddress);
            return Task.FromResult(AuthenticateResult.Fail("Invalid API token."));
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, "api-token:configuration"), new Claim(ClaimTypes.Role, AuthPolicies.AdminRole)],
            SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Results.Problem(statusCode: 401, title: "Authentication required",
            detail: "Send an admin API token as 'Authorization: Bearer <token>'.").ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Results.Problem(statusCode: 403, title: "Forbidden").ExecuteAsync(Context);
    }

    internal static bool FixedTimeEquals(string a, string b)
    {
        // Hashing first makes the comparison length-independent too.
        var ha = SHA256.HashData(Encoding.UTF8.GetBytes(a));
        var hb = SHA256.HashData(Encoding.UTF8.GetBytes(b));
        return CryptographicOperations.FixedTimeEquals(ha, hb);
    }
}

public static class ApiAuthenticationExtensions
{
    public static IServiceCollection AddApiAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.AdminApi, policy => policy
                .AddAuthenticationSchemes(ApiTokenAuthenticationHandler.SchemeName)
                .RequireRole(AuthPolicies.AdminRole))
            .AddPolicy(AuthPolicies.AnalyticsAccess, policy => policy
                .RequireRole(AuthPolicies.AdminRole, AuthPolicies.AnalystRole));
        return services;
    }
}
