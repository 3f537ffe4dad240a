using HappiTrack.Web.Data;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Nudges;

public sealed record NudgeDto(
    int Id, int ContactId, string Kind, string Status, string Message, string Link, string? Token,
    DateTime CreatedAt, DateTime SendAfter, DateTime? SentAt, int Attempts, string? LastError,
    string? Reason, DateTime? ExpiresAt, DateTime? ClickedAt);

public static class NudgeApi
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 500;

    public static IEndpointRouteBuilder MapNudgeApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/nudges", ListAsync).RequireAuthorization(AuthPolicies.AdminApi);
        return app;
    }

    /// <summary>Filters arrive as strings so that a malformed one is answered with problem+json naming it.</summary>
    private static async Task<Results<Ok<List<NudgeDto>>, ValidationProblem>> ListAsync(
        AppDbContext db, string? contactId, string? kind, string? status, string? limit, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        int? contact = null;
        if (!string.IsNullOrEmpty(contactId))
        {
            if (int.TryParse(contactId, out var id) && id > 0) contact = id;
            else errors["contactId"] = ["contactId must be a positive integer."];
        }
        if (!string.IsNullOrEmpty(kind) && !NudgeKinds.All.Contains(kind))
            errors["kind"] = [$"kind must be one of: {string.Join(", ", NudgeKinds.All)}."];
        if (!string.IsNullOrEmpty(status) && !NudgeStatuses.All.Contains(status))
            errors["status"] = [$"status must be one of: {string.Join(", ", NudgeStatuses.All)}."];
        var take = DefaultLimit;
        if (!string.IsNullOrEmpty(limit) && !(int.TryParse(limit, out take) && take is >= 1 and <= MaxLimit))
            errors["limit"] = [$"limit must be between 1 and {MaxLimit}."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var query = db.Set<Nudge>().AsNoTracking();
        if (contact is not null) query = query.Where(n => n.ContactId == contact);
        if (!string.IsNullOrEmpty(kind)) query = query.Where(n => n.Kind == kind);
        if (!string.IsNullOrEmpty(status)) query = query.Where(n => n.Status == status);
        var rows = await query.OrderByDescending(n => n.Id).Take(take)
            .Select(n => new NudgeDto(n.Id, n.ContactId, n.Kind, n.Status, n.Message, n.Link, n.TokenValue,
                n.CreatedAt, n.SendAfter, n.SentAt, n.Attempts, n.LastError, n.Reason, n.ExpiresAt, n.ClickedAt))
            .ToListAsync(ct);
        return TypedResults.Ok(rows);
    }
}
