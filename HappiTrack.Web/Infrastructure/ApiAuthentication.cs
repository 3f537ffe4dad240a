using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using HappiTrack.Web.Features.Admin;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Infrastructure;

public static class AuthPolicies
{
    /// <summary>The admin JSON API: a bearer token (configured or named) or an admin's browser session.</summary>
    public const string AdminApi = "AdminApi";
    /// <summary>Every page of the Admin area (applied by convention); the Identity cookie with role Admin.</summary>
    public const string AdminPages = "AdminPages";
    /// <summary>The Analytics area and its APIs: the Identity cookie with role Admin or Analyst.</summary>
    public const string AnalyticsAccess = "AnalyticsAccess";
    public const string AdminRole = "Admin";
    public const string AnalystRole = "Analyst";
}

/// <summary>
/// The admin API's scheme. <c>Authorization: Bearer &lt;token&gt;</c> is checked against
/// <c>Admin:ApiToken</c> (constant time) and then against the named tokens admins create; without
/// that header the caller's Identity session cookie is used instead.
/// </summary>
/// <remarks>
/// CSRF: a browser attaches the session cookie to cross-site requests by itself, so a
/// cookie-authenticated request with an unsafe method must also carry the antiforgery request token
/// in the <c>RequestVerificationToken</c> header (wwwroot/js/admin.js sends it from the page's
/// meta tag). A bearer token is never attached by a browser, so bearer calls need no such token.
/// Missing or wrong token: 400 problem+json, before any endpoint code runs.
/// </remarks>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<AdminOptions> admin,
    ApiTokenService tokens,
    IAntiforgery antiforgery)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";
    public const string TokenIdClaim = "api_token_id";
    private const string AntiforgeryFailedItem = "HappiTrack.ApiAntiforgeryFailed";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return await AuthenticateBearerAsync(header["Bearer ".Length..].Trim());
        return await AuthenticateSessionAsync();
    }

    private async Task<AuthenticateResult> AuthenticateBearerAsync(string presented)
    {
        var configured = admin.CurrentValue.ApiToken;
        if (!string.IsNullOrEmpty(configured) && FixedTimeEquals(presented, configured))
            return Success("api-token:configuration", null);

        var named = await tokens.FindActiveAsync(presented, Context.RequestAborted);
        if (named is not null)
            return Success($"api-token:{named.Name}", named.Id);

        Logger.LogWarning("Rejected an admin API bearer token from {RemoteIp} for {Method} {Path}",
            Context.Connection.RemoteIpAddress, Request.Method, Request.Path);
        return AuthenticateResult.Fail("Invalid API token.");
    }

    private async Task<AuthenticateResult> AuthenticateSessionAsync()
    {
        var session = await Context.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        if (!session.Succeeded) return AuthenticateResult.NoResult();

        if (!IsSafeMethod(Request.Method))
        {
            try
            {
                await antiforgery.ValidateRequestAsync(Context);
            }
            catch (AntiforgeryValidationException)
            {
                Context.Items[AntiforgeryFailedItem] = true;
                Logger.LogWarning("Refused a cookie-authenticated {Method} {Path} without a valid antiforgery token",
                    Request.Method, Request.Path);
                return AuthenticateResult.Fail("Missing or invalid antiforgery token.");
            }
        }
        return AuthenticateResult.Success(new AuthenticationTicket(session.Principal!, session.Properties, SchemeName));
    }

    private AuthenticateResult Success(string name, int? tokenId)
    {
        List<Claim> claims = [new(ClaimTypes.Name, name), new(ClaimTypes.Role, AuthPolicies.AdminRole)];
        if (tokenId is not null) claims.Add(new Claim(TokenIdClaim, tokenId.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var identity = new ClaimsIdentity(claims, SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(AntiforgeryFailedItem))
        {
            await TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Antiforgery token required",
                detail: "Requests authenticated by the session cookie that change state must send the antiforgery token in the 'RequestVerificationToken' header.",
                extensions: new Dictionary<string, object?> { ["field"] = "RequestVerificationToken" }).ExecuteAsync(Context);
            return;
        }
        Response.Headers.WWWAuthenticate = "Bearer";
        await TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Authentication required",
            detail: "Send an admin API token as 'Authorization: Bearer <token>', or sign in at /admin/login.").ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Logger.LogWarning("Denied {User} access to {Method} {Path}",
            Context.User.Identity?.Name is { } name ? EmailMask.Mask(name) : "(anonymous)", Request.Method, Request.Path);
        await TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
            detail: "This API is for administrators.").ExecuteAsync(Context);
    }

    private static bool IsSafeMethod(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);

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
        services.AddScoped<ApiTokenService>();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.AdminApi, policy => policy
                .AddAuthenticationSchemes(ApiTokenAuthenticationHandler.SchemeName)
                .RequireRole(AuthPolicies.AdminRole))
            .AddPolicy(AuthPolicies.AdminPages, policy => policy
                .AddAuthenticationSchemes(IdentityConstants.ApplicationScheme)
                .RequireRole(AuthPolicies.AdminRole))
            .AddPolicy(AuthPolicies.AnalyticsAccess, policy => policy
                .AddAuthenticationSchemes(IdentityConstants.ApplicationScheme)
                .RequireRole(AuthPolicies.AdminRole, AuthPolicies.AnalystRole));
        return services;
    }
}

/// <summary>
/// Puts an endpoint (or a group) behind the admin API's credentials and declares what they answer, so the OpenAPI
/// document (<see cref="OpenApiSetup"/>) lists 401 and 403 for every admin endpoint and the antiforgery 400 for every
/// unsafe one without each endpoint repeating it.
/// </summary>
public static class AdminApiEndpoints
{
    public const string AntiforgeryHeader = "RequestVerificationToken";

    /// <summary>Marks an endpoint that refuses bearer tokens (it answers them 403 itself): only a session may call it.</summary>
    public sealed class SessionOnlyMetadata
    {
        public static readonly SessionOnlyMetadata Instance = new();
    }

    public static TBuilder RequireAdminApi<TBuilder>(this TBuilder builder, bool sessionOnly = false) where TBuilder : IEndpointConventionBuilder
    {
        builder.RequireAuthorization(AuthPolicies.AdminApi);
        if (sessionOnly) builder.WithMetadata(SessionOnlyMetadata.Instance);
        // Finally: an endpoint's own metadata (typed results, ProducesValidationProblem) is in place by then.
        builder.Finally(endpoint =>
        {
            AddProblem(endpoint, StatusCodes.Status401Unauthorized);
            AddProblem(endpoint, StatusCodes.Status403Forbidden);
            var methods = endpoint.Metadata.OfType<IHttpMethodMetadata>().LastOrDefault()?.HttpMethods ?? [];
            if (methods.Any(IsUnsafe)) AddProblem(endpoint, StatusCodes.Status400BadRequest);
        });
        return builder;
    }

    internal static bool IsUnsafe(string? method) =>
        method is not null && !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsOptions(method) && !HttpMethods.IsTrace(method);

    private static void AddProblem(EndpointBuilder endpoint, int status)
    {
        if (endpoint.Metadata.OfType<IProducesResponseTypeMetadata>().Any(m => m.StatusCode == status)) return;
        endpoint.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]));
    }
}
