using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace HappiTrack.Web.Features.Scoring;

public static class ScoringServiceCollectionExtensions
{
    public static IServiceCollection AddScoring(this IServiceCollection services)
    {
        services.AddScoped<ContactProfileService>();
        return services;
    }

    public static IEndpointRouteBuilder MapScoring(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/contacts/{id}", GetContactAsync).RequireAuthorization(AuthPolicies.AdminApi);
        return app;
    }

    private static async Task<Results<Ok<ContactProfile>, ValidationProblem, ProblemHttpResult>> GetContactAsync(
        string id, ContactProfileService profiles, CancellationToken ct)
    {
        if (!int.TryParse(id, out var contactId) || contactId <= 0)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = ["id must be a positive integer."] });
        var profile = await profiles.GetProfileAsync(contactId, ct);
        return profile is null
            ? TypedResults.Problem(new ProblemDetails { Status = 404, Title = "Contact not found", Detail = $"No contact with id {contactId}." })
            : TypedResults.Ok(profile);
    }
}
