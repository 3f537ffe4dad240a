using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

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
        var api = endpoints.MapGroup("/api/contacts").RequireAdminApi().DisableAntiforgery().WithTags("Contacts");
        api.MapGet("", CrmApi.ListContactsAsync)
            .WithName("ListContacts")
            .WithSummary("One page of the contacts list, filtered and sorted as on the admin Contacts page");
        var campaigns = endpoints.MapGroup("/api/campaign").RequireAdminApi().DisableAntiforgery().WithTags("Campaigns");
        campaigns.MapPost("/broadcast", CrmApi.BroadcastAsync)
            .WithName("BroadcastCampaign")
            .WithSummary("Preview (dryRun) or send a WhatsApp campaign to a segment of opted-in contacts")
            .WithDescription("A send must carry `previewId` from a dry run of the same message and segment (at most 15 minutes old) " +
                "or `confirm`, the reach the caller expects. 409 when the preview is stale or the reach differs (with the current `reach`).")
            .DescribesBody<BroadcastRequestDocument>(contentTypes: "application/json")
            .ProducesProblem(StatusCodes.Status409Conflict);
        campaigns.MapPost("/schedule", CrmApi.ScheduleAsync)
            .WithName("ScheduleCampaign")
            .WithSummary("Preview (dryRun) or schedule a WhatsApp campaign to start later, at a time on the shop's wall clock")
            .WithDescription("`scheduleAt` is the shop's local time (`Shop:TimeZone`) without an offset, e.g. `2026-12-24T09:30`; a time with an offset, " +
                "one the clocks skip or repeat, less than a minute ahead or more than 90 days ahead is a 400. Scheduling needs `previewId` from a dry run " +
                "of the same message and segment (at most 15 minutes old) or `confirm`, the reach now; 409 when stale or the reach differs. " +
                "201 with the campaign's state; the `campaigns:start` job writes its messages when due.")
            .DescribesBody<ScheduleRequestDocument>(contentTypes: "application/json")
            .ProducesProblem(StatusCodes.Status409Conflict);
        campaigns.MapGet("/{id}", CrmApi.GetStateAsync)
            .WithName("GetCampaign")
            .WithSummary("A campaign's state: scheduled (with scheduledFor), sent or cancelled")
            .ProducesProblem(StatusCodes.Status404NotFound);
        campaigns.MapPost("/{id}/cancel", CrmApi.CancelAsync)
            .WithName("CancelCampaign")
            .WithSummary("Cancel a scheduled campaign before it starts; nothing of it is ever sent")
            .WithDescription("409 when the campaign started or was cancelled already; 404 for an unknown id.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        campaigns.MapGet("/logs", CrmApi.LogsAsync)
            .WithName("CampaignLogs")
            .WithSummary("Without campaignId: the recent campaigns; with it: that campaign's messages and their funnel")
            .AddOpenApiOperationTransformer(DescribeLogsAnswerAsync)
            .ProducesProblem(StatusCodes.Status404NotFound);
        endpoints.MapGet("/api/contacts/{id}", GetContactAsync).RequireAdminApi()
            .WithName("GetContact")
            .WithTags("Contacts")
            .WithSummary("A contact's profile: consent, scores, carts, orders and nudges")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    /// <summary>The one 200 is either of two shapes; ApiExplorer keeps only one per status, so name both.</summary>
    private static async Task DescribeLogsAnswerAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        if (operation.Responses?.TryGetValue("200", out var ok) != true || ok!.Content?.TryGetValue("application/json", out var json) != true) return;
        json!.Schema = new OpenApiSchema
        {
            OneOf = [await context.GetOrCreateSchemaAsync(typeof(CampaignLog), null, ct),
                     await context.GetOrCreateSchemaAsync(typeof(IReadOnlyList<CampaignListItem>), null, ct)],
        };
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
