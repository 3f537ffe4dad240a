using HappiTrack.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Tokens;

/// <summary>
/// The one place that marks a token used. It is a single conditional UPDATE whose affected-row
/// count decides the winner, so two concurrent redemptions cannot both succeed. Kept behind an
/// interface because a provider may need its own SQL (e.g. RETURNING) for this.
/// </summary>
public interface ITokenRedemptionStore
{
    /// <summary>True only for the caller whose UPDATE flipped the token from unused to used.</summary>
    Task<bool> TryRedeemAsync(AppDbContext db, int tokenId, int? orderId, DateTime now, CancellationToken ct = default);
}

/// <summary>
/// EF Core's ExecuteUpdate emits <c>UPDATE ... WHERE Id = @id AND RedeemedAt IS NULL AND ExpiresAt &gt; @now</c>
/// on SQLite and PostgreSQL alike; it runs in the caller's transaction when one is open.
/// </summary>
internal sealed class EfTokenRedemptionStore : ITokenRedemptionStore
{
    public async Task<bool> TryRedeemAsync(AppDbContext db, int tokenId, int? orderId, DateTime now, CancellationToken ct = default)
    {
        var affected = await db.Set<DiscountToken>()
            .Where(t => t.Id == tokenId && t.RedeemedAt == null && t.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RedeemedAt, now).SetProperty(t => t.RedeemedOrderId, orderId), ct);
        return affected == 1;
    }
}
