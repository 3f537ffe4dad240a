using System.Text.Json;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Shared;

namespace HappiTrack.Web.Features.Audit;

/// <summary>
/// Writes each entry through its own short-lived DbContext, so recording never saves (or is rolled
/// back with) whatever the caller's context still has pending.
/// </summary>
public sealed class AuditLog(IServiceScopeFactory scopes, IHttpContextAccessor http, TimeProvider clock) : IAuditLog
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <remarks>Outside a request (a job) the actor is <c>(system)</c>.</remarks>
    public Task RecordAsync(string action, string? target, object? details = null, CancellationToken ct = default) =>
        RecordAsAsync(http.HttpContext is { } context ? context.User.Identity?.Name ?? "(anonymous)" : "(system)", action, target, details, ct);

    public Task RecordAsAsync(string actor, string action, string? target, object? details = null, CancellationToken ct = default) =>
        WriteAsync(actor, action, target, details, http.HttpContext?.Connection.RemoteIpAddress?.ToString());

    public Task RecordShopperAsync(string action, object? details = null, CancellationToken ct = default) =>
        WriteAsync(AuditActors.Shopper, action, null, details, ip: null);

    private async Task WriteAsync(string actor, string action, string? target, object? details, string? ip)
    {
        var entry = new AuditEntry
        {
            At = clock.GetUtcNow().UtcDateTime,
            Actor = Truncate(actor, 256),
            Action = Truncate(action, 64),
            Target = target is null ? null : Truncate(target, 256),
            Details = details is null ? null : details as string ?? JsonSerializer.Serialize(details, Json),
            Ip = ip,
        };
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Add(entry);
        // The action has already happened; a caller's cancellation must not leave it unrecorded, and the
        // record of a consent change or an erasure must outlive an OS crash as the change itself does.
        await using var durable = await db.DurableWritesAsync(CancellationToken.None);
        await db.SaveChangesAsync(CancellationToken.None);
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
