using System.Security.Claims;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HappiTrack.Web.Features.Admin;

public sealed record CreateApiTokenRequest(string? Name);
public sealed record CreatedApiTokenResponse(int Id, string Name, string Token);

internal static class ApiTokenEndpoints
{
    public static RouteGroupBuilder MapApiTokenEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/", ListAsync)
            .WithName("ListApiTokens")
            .WithSummary("The admin API tokens (names, prefixes, last use; never the secrets)");
        group.MapPost("/", CreateAsync)
            .WithName("CreateApiToken")
            .WithSummary("Create a named API token; the secret is in this answer only");
        group.MapDelete("/{id:int}", RevokeAsync)
            .WithName("RevokeApiToken")
            .WithSummary("Revoke an API token at once")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    private static async Task<Results<Ok<List<ApiTokenSummary>>, ProblemHttpResult>> ListAsync(
        ClaimsPrincipal user, ApiTokenService tokens, CancellationToken ct)
    {
        if (IsBearer(user)) return BearerRefused();
        return TypedResults.Ok(await tokens.ListAsync(ct));
    }

    private static async Task<Results<Created<CreatedApiTokenResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CreateApiTokenRequest? request, ClaimsPrincipal user, ApiTokenService tokens, CancellationToken ct)
    {
        if (IsBearer(user)) return BearerRefused();
        if (ApiTokenService.ValidateName(request?.Name) is { } error)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = [error] });
        var created = await tokens.CreateAsync(request!.Name!, user.Identity!.Name!, ct);
        return TypedResults.Created($"/api/admin/api-tokens/{created.Id}", new CreatedApiTokenResponse(created.Id, created.Name, created.Secret));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(
        int id, ClaimsPrincipal user, ApiTokenService tokens, CancellationToken ct)
    {
        if (IsBearer(user)) return BearerRefused();
        if (!await tokens.RevokeAsync(id, user.Identity!.Name!, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such token", detail: $"There is no API token {id}.");
        return TypedResults.NoContent();
    }

    // A leaked token must not be able to mint a successor that outlives its own revocation.
    private static bool IsBearer(ClaimsPrincipal user) =>
        user.Identity?.AuthenticationType == ApiTokenAuthenticationHandler.SchemeName;

    private static ProblemHttpResult BearerRefused() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Signed-in administrator required",
            detail: "API tokens are managed from an administrator's browser session, not with a bearer token.");
}
