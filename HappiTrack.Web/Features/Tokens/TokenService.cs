using HappiTrack.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Tokens;

public enum TokenCheckStatus { Valid, Invalid, Expired, Used, NotForThisCart }

/// <summary>
/// The answer shown to a shopper. Unknown, malformed, tampered and other people's tokens all get
/// the same <see cref="TokenService.InvalidMessage"/>, so the answer never reveals that some other
/// token exists; expired, used and wrong-cart are only told to the token's owner.
/// </summary>
public sealed record TokenCheck(TokenCheckStatus Status, int? TokenId, int Percent, long DiscountCents, string? Message)
{
    public bool IsValid => Status == TokenCheckStatus.Valid;
}

/// <summary>A line of the cart being priced: the server's own prices, never the browser's.</summary>
public sealed record PricedLine(int ProductId, long LineTotalCents);

public sealed class TokenService(AppDbContext db, ITokenRedemptionStore redemption, TimeProvider clock, ILogger<TokenService> logger)
{
    public const string InvalidMessage = "This discount code is not valid.";
    public const string ExpiredMessage = "This discount code has expired.";
    public const string UsedMessage = "This discount code has already been used.";
    public const string NotForThisCartMessage = "This discount code does not apply to the items in your cart.";

    /// <summary>Adds a new token to <paramref name="db"/> (saved with the caller's SaveChanges) and returns its raw value.</summary>
    public static (DiscountToken Token, string Value) Issue(
        AppDbContext db, int contactId, int percent, TokenScope scope, DateTime now, TimeSpan validFor,
        int? productId = null, IEnumerable<int>? cartProductIds = null)
    {
        var value = TokenValue.New();
        var token = new DiscountToken
        {
            Hash = TokenValue.Hash(value),
            ContactId = contactId,
            Percent = percent,
            Scope = scope,
            ProductId = productId,
            CartProductIds = cartProductIds is null ? null : string.Join(',', cartProductIds.Distinct().Order()),
            CreatedAt = now,
            ExpiresAt = now + validFor,
        };
        db.Add(token);
        return (token, value);
    }

    /// <summary>
    /// Checks a token for a shopper whose visitor is linked to <paramref name="contactId"/> (a token is
    /// personal: only a browser proven to be its owner, by a tracked or nudge link, may use it).
    /// </summary>
    public async Task<TokenCheck> CheckAsync(string? value, int? contactId, IReadOnlyList<PricedLine> lines, CancellationToken ct = default)
    {
        var check = await CheckQuietlyAsync(value, contactId, lines, ct);
        // The value itself is a bearer secret, so only the outcome and the token's row id are logged.
        if (!check.IsValid)
            logger.LogWarning("Refused a discount token ({Status}, token {TokenId}) for contact {ContactId}", check.Status, check.TokenId, contactId);
        return check;
    }

    private async Task<TokenCheck> CheckQuietlyAsync(string? value, int? contactId, IReadOnlyList<PricedLine> lines, CancellationToken ct)
    {
        var invalid = new TokenCheck(TokenCheckStatus.Invalid, null, 0, 0, InvalidMessage);
        value = value?.Trim();
        if (contactId is null || !TokenValue.IsWellFormed(value)) return invalid;
        var hash = TokenValue.Hash(value!);
        var token = await db.Set<DiscountToken>().AsNoTracking().FirstOrDefaultAsync(t => t.Hash == hash, ct);
        if (token is null || token.ContactId != contactId) return invalid;
        return Evaluate(token, lines, clock.GetUtcNow().UtcDateTime);
    }

    public static TokenCheck Evaluate(DiscountToken token, IReadOnlyList<PricedLine> lines, DateTime now)
    {
        if (token.RedeemedAt is not null) return new(TokenCheckStatus.Used, token.Id, token.Percent, 0, UsedMessage);
        if (token.ExpiresAt <= now) return new(TokenCheckStatus.Expired, token.Id, token.Percent, 0, ExpiredMessage);
        var discount = DiscountCents(token, lines);
        return discount > 0
            ? new(TokenCheckStatus.Valid, token.Id, token.Percent, discount, null)
            : new(TokenCheckStatus.NotForThisCart, token.Id, token.Percent, 0, NotForThisCartMessage);
    }

    /// <summary>Percent of the eligible lines, rounded down to the cent so the shop never gives more than promised.</summary>
    public static long DiscountCents(DiscountToken token, IReadOnlyList<PricedLine> lines)
    {
        var cartProducts = token.Scope == TokenScope.Cart ? token.CartProducts : null;
        var eligible = token.Scope switch
        {
            TokenScope.Product => lines.Where(l => l.ProductId == token.ProductId).Sum(l => l.LineTotalCents),
            TokenScope.Cart => lines.Where(l => cartProducts!.Contains(l.ProductId)).Sum(l => l.LineTotalCents),
            _ => lines.Sum(l => l.LineTotalCents),
        };
        return eligible * token.Percent / 100;
    }

    /// <summary>
    /// Re-checks and redeems inside the caller's (order) transaction. Returns the check; when it is
    /// valid the token is now used by <paramref name="orderId"/>, and a lost race reads as Used.
    /// </summary>
    public async Task<TokenCheck> RedeemAsync(string? value, int? contactId, IReadOnlyList<PricedLine> lines, int? orderId, CancellationToken ct = default)
    {
        var check = await CheckAsync(value, contactId, lines, ct);
        if (!check.IsValid) return check;
        var won = await redemption.TryRedeemAsync(db, check.TokenId!.Value, orderId, clock.GetUtcNow().UtcDateTime, ct);
        return won ? check : new TokenCheck(TokenCheckStatus.Used, check.TokenId, check.Percent, 0, UsedMessage);
    }
}
