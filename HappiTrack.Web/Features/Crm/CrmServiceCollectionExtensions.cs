using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace HappiTrack.Web.Features.Crm;

public static class CrmServiceCollectionExtensions
{
    public static IServiceCollection AddCrm(this IServiceCollection services)
    {
        services.AddScoped<ContactProfileService>();
        services.AddScoped<ContactList>();
        services.AddScoped<ContactSummaryRefresher>();
        services.AddScoped<CampaignService>();
        services.AddScoped<ContactActions>();
        services.AddSingleton<CampaignPreviews>();
        services.AddScoped<CampaignStartJob>();
        services.AddRecurringJob<CampaignStartJob>(CampaignStartJob.Id, j => j.RunAsync(CancellationToken.None), jobs => jobs.CampaignsCron);
        return services;
    }

    public static IEndpointRouteBuilder MapCrm(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/contacts").RequireAuthorization(AuthPolicies.AdminApi).DisableAntiforgery();
        api.MapGet("", CrmApi.ListContactsAsync);
        var campaigns = endpoints.MapGroup("/api/campaign").RequireAuthorization(AuthPolicies.AdminApi).DisableAntiforgery();
        campaigns.MapPost("/broadcast", CrmApi.BroadcastAsync);
        campaigns.MapGet("/logs", CrmApi.LogsAsync);
        endpoints.MapGet("/api/contacts/{id}", GetContactAsync).RequireAuthorization(AuthPolicies.AdminApi);
        return endpoints;
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
