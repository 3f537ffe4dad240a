using System.ComponentModel;
using System.Security.Claims;
using System.Text.Json;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Privacy;

public static class PrivacyServiceCollectionExtensions
{
    /// <summary>Call after AddContacts: the suppression list replaces nothing there, it is the only <see cref="IOptInSuppression"/>.</summary>
    public static IServiceCollection AddPrivacy(this IServiceCollection services, IHostEnvironment environment)
    {
        services.AddOptions<PrivacyOptions>().BindConfiguration(PrivacyOptions.Section)
            .PostConfigure(o => o.ApplyDefaults(environment)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PrivacyOptions>, PrivacyOptionsValidator>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<PrivacyOptions>>().Value);
        services.AddScoped<PhoneSuppression>();
        services.AddScoped<IOptInSuppression>(sp => sp.GetRequiredService<PhoneSuppression>());
        services.AddScoped<ContactExporter>();
        services.AddScoped<ContactEraser>();
        services.AddScoped<BrowsingDataEraser>();
        services.AddScoped<RetentionJob>();
        services.AddRecurringJob<RetentionJob>(RetentionJob.RecurringJobId, j => j.Run(CancellationToken.None), jobs => jobs.PrivacyRetentionCron);
        return services;
    }

    /// <summary><c>GET /api/contacts/{id}/export</c> and <c>DELETE /api/contacts/{id}</c>.</summary>
    public static IEndpointRouteBuilder MapPrivacy(this IEndpointRouteBuilder app)
    {
        var contacts = app.MapGroup("/api/contacts").RequireAdminApi().WithTags("Privacy");
        contacts.MapGet("/{id:int}/export", PrivacyApi.ExportAsync)
            .WithName("ExportContact")
            .WithSummary("Everything kept about a contact, as one JSON download (audited)")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound);
        contacts.MapDelete("/{id:int}", PrivacyApi.EraseAsync)
            .WithName("EraseContact")
            .WithSummary("Erase a contact's personal data (orders are kept, anonymised); the reason is required")
            .WithDescription("The reason comes as `?reason=` or as the JSON body `{\"reason\": \"...\"}`. " +
                "409 when Privacy:SuppressionKey is not configured.")
            .DescribesBody<ErasureRequest>(isOptional: true, "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }
}

internal static class PrivacyApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<IResult> ExportAsync(int id, HttpContext http, ContactExporter exporter, IAuditLog audit, CancellationToken ct)
    {
        if (!await exporter.ExistsAsync(id, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Contact not found");
        // Recorded before the first byte: a download cut short still handed personal data out.
        await audit.RecordAsync(AuditActions.ContactExport, $"contact:{id}", ct: ct);
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"contact-{id}-export.json\"";
        await exporter.WriteAsync(id, http.Response.BodyWriter, ct);
        return Results.Empty;
    }

    private sealed record EraseRequest(JsonElement? Reason);

    /// <summary>The reason comes as <c>?reason=</c> or a JSON body <c>{"reason": "..."}</c>.</summary>
    public static async Task<Results<Ok<ErasureResponse>, ValidationProblem, ProblemHttpResult>> EraseAsync(
        int id, string? reason, HttpRequest request, ClaimsPrincipal user, ContactEraser eraser, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(reason) && request.HasJsonContentType())
        {
            try
            {
                var body = await request.ReadFromJsonAsync<EraseRequest>(Json, ct);
                if (body?.Reason is { ValueKind: JsonValueKind.String } r) reason = r.GetString();
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException)
            {
                return Invalid("Send {\"reason\": \"...\"} as application/json, or ?reason=.");
            }
        }
        if (string.IsNullOrWhiteSpace(reason)) return Invalid("Say why the contact is erased (e.g. 'request by email 2026-12-01').");
        if (reason.Length > 500 || reason.Any(char.IsControl)) return Invalid("'reason' must be text of at most 500 characters.");

        var result = await eraser.EraseAsync(id, reason, user.Identity?.Name ?? "(unknown)", ct);
        return result.Outcome switch
        {
            ErasureOutcome.Erased => TypedResults.Ok(new ErasureResponse(id, "erased", result.Events, result.Visitors, result.Orders, result.Nudges)),
            ErasureOutcome.AlreadyErased => TypedResults.Ok(new ErasureResponse(id, "already_erased", 0, 0, 0, 0)),
            ErasureOutcome.NotFound => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Contact not found"),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Erasure is not configured",
                detail: "Set Privacy:SuppressionKey (a secret) so the erased number can be kept on the suppression list."),
        };
    }

    private static ValidationProblem Invalid(string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["reason"] = [message] }, title: "Invalid field 'reason'");
}

/// <summary>The documented body of an erasure; read as raw JSON so that a reason of the wrong type is a 400 naming it.</summary>
public sealed record ErasureRequest([property: Description("Why the contact is erased (at most 500 characters), e.g. 'request by email 2026-12-01'.")] string Reason);

public sealed record ErasureResponse(int ContactId, string Status, int EventsDeleted, int VisitorsUnlinked, int OrdersAnonymised, int NudgesBlanked);
