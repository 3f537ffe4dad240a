using Hangfire;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Tokens;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Nudges;

/// <summary>
/// The <c>tokens:expire</c> job. Expiry itself is enforced at redemption (the UPDATE checks
/// ExpiresAt); this job erases the raw token values kept in nudges once their token is used or
/// expired, voids unsent offers that expired, and drops stale client-budget rows.
/// </summary>
public sealed class TokensExpireJob(AppDbContext db, TimeProvider clock)
{
    public const string Id = "tokens:expire";

    /// <summary>Hangfire's entry point (recurring on <c>Jobs:Cron:TokensExpire</c>).</summary>
    [AutomaticRetry(Attempts = 0)]
    public Task RunScheduledAsync(CancellationToken ct) => RunAsync(ct);

    public async Task<int> RunAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var erased = await db.Set<Nudge>()
            .Where(n => n.TokenValue != null && n.Token != null && (n.Token.RedeemedAt != null || n.Token.ExpiresAt <= now))
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.TokenValue, (string?)null), ct);
        await db.Set<Nudge>().SuppressExpiredAsync(now, ct);
        await db.Set<ClientBudgetUsage>().Where(u => u.WindowStart < now.AddDays(-1)).ExecuteDeleteAsync(ct);
        return erased;
    }
}
