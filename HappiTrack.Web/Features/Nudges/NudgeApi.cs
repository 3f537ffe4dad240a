using HappiTrack.Web.Data;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Nudges;

public sealed record NudgeDto(
    int Id, int ContactId, string Kind, string Status, string Message, string Link, string? Token,
    DateTime CreatedAt, DateTime SendAfter, DateTime? SentAt, int Attempts, string? LastError,
    string? Reason, DateTime? ExpiresAt, DateTime? ClickedAt, string? DeliveryStatus, DateTime? FailedAt, NudgeFunnel Funnel);

/// <summary>
/// One nudge's way from the outbox to a sale: queued → sent → delivered → read → clicked →
/// converted, each with its time, and the furthest <see cref="Stage"/> reached in SPEC §6's words
/// (queued, deferred, sent, delivered, read, clicked, converted, failed, suppressed; a cancelled nudge counts as suppressed).
/// Shared by <c>GET /api/nudges</c> and the campaign log: select <see cref="Of"/> in the final projection.
/// </summary>
public sealed record NudgeFunnel(
    string Stage, DateTime QueuedAt, DateTime? SentAt, DateTime? DeliveredAt, DateTime? ReadAt,
    DateTime? ClickedAt, DateTime? ConvertedAt, long RevenueCents, int? AttributedOrders = null)
{
    public static NudgeFunnel Of(Nudge n) => new(
        StageOf(n.Status, n.DeliveryStatus, n.DeliveredAt, n.ReadAt, n.ClickedAt, n.ConvertedAt),
        n.CreatedAt, n.SentAt, n.DeliveredAt ?? n.ReadAt, n.ReadAt, n.ClickedAt, n.ConvertedAt, n.RevenueCents);

    public static string StageOf(string status, string? deliveryStatus, DateTime? deliveredAt, DateTime? readAt, DateTime? clickedAt, DateTime? convertedAt)
    {
        if (convertedAt is not null) return "converted";
        if (clickedAt is not null) return "clicked";
        if (readAt is not null) return "read";
        if (deliveredAt is not null) return "delivered";
        if (deliveryStatus == DeliveryStatuses.Failed || status is NudgeStatuses.Failed or NudgeStatuses.Dead) return "failed";
        return status switch
        {
            NudgeStatuses.Sending => NudgeStatuses.Queued,
            NudgeStatuses.Cancelled => NudgeStatuses.Suppressed,
            _ => status,
        };
    }
}

public static class NudgeApi
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 500;

    public static IEndpointRouteBuilder MapNudgeApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/nudges", ListAsync).RequireAdminApi()
            .WithName("ListNudges")
            .WithTags("Nudges")
            .WithSummary("The newest nudges (WhatsApp messages) with their status and funnel, optionally filtered");
        app.MapPost("/api/nudges/{id:int}/retry", RetryAsync).RequireAdminApi()
            .WithName("RetryNudge")
            .WithTags("Nudges")
            .WithSummary("Send a dead-lettered or failed nudge again (the guards still apply)")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
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
            .ToListAsync(ct);
        return TypedResults.Ok(rows.Select(ToDto).ToList());
    }

    public static NudgeDto ToDto(Nudge n) => new(n.Id, n.ContactId, n.Kind, n.Status, n.Message, n.Link, n.TokenValue,
        n.CreatedAt, n.SendAfter, n.SentAt, n.Attempts, n.LastError, n.Reason, n.ExpiresAt, n.ClickedAt, n.DeliveryStatus, n.FailedAt, NudgeFunnel.Of(n));

    /// <summary>
    /// An admin sends a dead-lettered or failed nudge again: a fresh set of attempts, due now (the
    /// guards still apply). The same path as the outbox page, so a contact who has not consented is
    /// refused here too (409).
    /// </summary>
    private static async Task<Results<Ok<NudgeDto>, ProblemHttpResult>> RetryAsync(
        int id, AppDbContext db, OutboxAdmin outbox, CancellationToken ct)
    {
        var result = await outbox.RetryAsync(id, ct);
        if (result.Refusal == ManualRefusal.NotFound) return NudgeNotFound(id);
        var nudge = await db.Set<Nudge>().AsNoTracking().FirstOrDefaultAsync(n => n.Id == id, ct);
        if (nudge is null) return NudgeNotFound(id);
        if (!result.Succeeded)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict,
                title: result.Refusal == ManualRefusal.NoConsent ? "The contact has not consented to WhatsApp messages." : "Only dead or failed nudges can be retried.",
                detail: result.Message,
                extensions: new Dictionary<string, object?> { ["status"] = nudge.Status });
        return TypedResults.Ok(ToDto(nudge));
    }

    // A problem document like every other /api error, not an empty 404 the status-code pages would turn into HTML.
    private static ProblemHttpResult NudgeNotFound(int id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Nudge not found", detail: $"No nudge with id {id}.");
}
