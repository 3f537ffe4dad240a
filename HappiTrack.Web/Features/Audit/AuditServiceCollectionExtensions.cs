using System.Globalization;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Audit;

public static class AuditServiceCollectionExtensions
{
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddScoped<IAuditLog, AuditLog>();
        services.AddScoped<AuditQuery>();
        return services;
    }

    /// <summary><c>GET /api/audit?since=&amp;actor=&amp;action=&amp;page=</c>, Admin only. Read-only by design: no other verb is mapped.</summary>
    public static IEndpointRouteBuilder MapAudit(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit", AuditApi.ListAsync).RequireAdminApi()
            .WithName("ListAuditEntries")
            .WithTags("Audit")
            .WithSummary("The audit log, newest first, 50 per page; actor and action match exactly or by prefix ending in *");
        return app;
    }
}

public sealed record AuditFilter(DateTime? Since, string? Actor, string? Action, int Page);

public sealed record AuditPage(IReadOnlyList<AuditEntryDto> Items, int Page, int PageSize, bool HasMore);

public sealed record AuditEntryDto(long Id, DateTime At, string Actor, string Action, string? Target, string? Details, string? Ip);

/// <summary>Newest first; actor and action match exactly, or by prefix when they end in <c>*</c>.</summary>
public sealed class AuditQuery(AppDbContext db)
{
    public const int PageSize = 50;

    public async Task<AuditPage> ListAsync(AuditFilter filter, CancellationToken ct)
    {
        var q = db.Set<AuditEntry>().AsNoTracking();
        if (filter.Since is { } since) q = q.Where(e => e.At >= since);
        q = Match(q, filter.Actor, e => e.Actor);
        q = Match(q, filter.Action, e => e.Action);
        var rows = await q.OrderByDescending(e => e.At).ThenByDescending(e => e.Id)
            .Skip((filter.Page - 1) * PageSize).Take(PageSize + 1)
            .Select(e => new AuditEntryDto(e.Id, e.At, e.Actor, e.Action, e.Target, e.Details, e.Ip))
            .ToListAsync(ct);
        return new AuditPage(rows.Take(PageSize).ToList(), filter.Page, PageSize, rows.Count > PageSize);
    }

    private static IQueryable<AuditEntry> Match(IQueryable<AuditEntry> q, string? value, System.Linq.Expressions.Expression<Func<AuditEntry, string>> column)
    {
        if (string.IsNullOrWhiteSpace(value)) return q;
        value = value.Trim();
        var param = column.Parameters[0];
        System.Linq.Expressions.Expression body = value.EndsWith('*')
            ? System.Linq.Expressions.Expression.Call(column.Body, typeof(string).GetMethod(nameof(string.StartsWith), [typeof(string)])!,
                System.Linq.Expressions.Expression.Constant(value.TrimEnd('*')))
            : System.Linq.Expressions.Expression.Equal(column.Body, System.Linq.Expressions.Expression.Constant(value));
        return q.Where(System.Linq.Expressions.Expression.Lambda<Func<AuditEntry, bool>>(body, param));
    }

    /// <summary>Checks raw query values; returns the field name and message of the first bad one.</summary>
    public static (AuditFilter? Filter, string? Field, string? Error) Parse(string? since, string? actor, string? action, string? page)
    {
        DateTime? sinceAt = null;
        if (!string.IsNullOrWhiteSpace(since))
        {
            if (!DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                return (null, "since", "'since' must be an ISO 8601 date or time, e.g. 2026-12-01 or 2026-12-01T08:00:00Z.");
            sinceAt = parsed.UtcDateTime;
        }
        if (actor is { Length: > 256 }) return (null, "actor", "'actor' must be at most 256 characters.");
        if (action is { Length: > 64 }) return (null, "action", "'action' must be at most 64 characters.");
        var pageNo = 1;
        if (!string.IsNullOrWhiteSpace(page) && (!int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out pageNo) || pageNo < 1 || pageNo > 100_000))
            return (null, "page", "'page' must be a whole number from 1.");
        return (new AuditFilter(sinceAt, actor, action, pageNo), null, null);
    }
}

internal static class AuditApi
{
    // Raw strings, so a malformed value is a 400 problem of ours rather than the binder's.
    public static async Task<Results<Ok<AuditPage>, ValidationProblem>> ListAsync(
        string? since, string? actor, string? action, string? page, AuditQuery query, CancellationToken ct)
    {
        var (filter, field, error) = AuditQuery.Parse(since, actor, action, page);
        if (filter is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field!] = [error!] }, title: $"Invalid parameter '{field}'");
        return TypedResults.Ok(await query.ListAsync(filter, ct));
    }
}
