using HappiTrack.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Tokens;

/// <summary><see cref="DealIsBetter"/>: the code covers only deal lines whose deal already saves more; it stays unused.</summary>
public enum TokenCheckStatus { Valid, Invalid, Expired, Used, NotForThisCart, DealIsBetter }

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
/// <param name="LineTotalCents">What the line costs before any code: the deal price when the product is today's deal.</param>
/// <param name="DealSavingCents">How much the deal already takes off the line (0 for a regular-priced line).</param>
public sealed record PricedLine(int ProductId, long LineTotalCents, long DealSavingCents = 0);

public sealed class TokenService(AppDbContext db, ITokenRedemptionStore redemption, TimeProvider clock, ILogger<TokenService> logger)
{
    public const string InvalidMessage = "This discount code is not valid.";
    public const string ExpiredMessage = "This discount code has expired.";
    public const string UsedMessage = "This discount code has already been used.";
    public const string NotForThisCartMessage = "This discount code does not apply to the items in your cart.";
    public const string DealIsBetterMessage = "Today's deal already saves you more than this code on the items it covers, so the deal price applies and your code stays unused.";

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
        // A code the deal beats is the shop's own offer outdoing it, not a refusal worth a warning.
        if (!check.IsValid && check.Status != TokenCheckStatus.DealIsBetter)
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
        if (discount > 0) return new(TokenCheckStatus.Valid, token.Id, token.Percent, discount, null);
        return Eligible(token, lines).Any(l => l.DealSavingCents > 0)
            ? new(TokenCheckStatus.DealIsBetter, token.Id, token.Percent, 0, DealIsBetterMessage)
            : new(TokenCheckStatus.NotForThisCart, token.Id, token.Percent, 0, NotForThisCartMessage);
    }

    /// <summary>
    /// Percent of the eligible lines, rounded down to the cent so the shop never gives more than promised.
    /// A code and the Deal of the Day do not stack: on a deal line the shopper gets the better of the two, so
    /// the code adds only what its percentage of the regular price exceeds the deal's saving.
    /// </summary>
    public static long DiscountCents(DiscountToken token, IReadOnlyList<PricedLine> lines)
    {
        var eligible = Eligible(token, lines).ToList();
        var regular = eligible.Where(l => l.DealSavingCents == 0).Sum(l => l.LineTotalCents) * token.Percent / 100;
        var beyondDeals = eligible.Where(l => l.DealSavingCents > 0)
            .Sum(l => Math.Max(0, (l.LineTotalCents + l.DealSavingCents) * token.Percent / 100 - l.DealSavingCents));
        return regular + beyondDeals;
    }

    private static IEnumerable<PricedLine> Eligible(DiscountToken token, IReadOnlyList<PricedLine> lines)
    {
        var cartProducts = token.Scope == TokenScope.Cart ? token.CartProducts : null;
        return token.Scope switch
        {
            TokenScope.Product => lines.Where(l => l.ProductId == token.ProductId),
            TokenScope.Cart => lines.Where(l => cartProducts!.Contains(l.ProductId)),
            _ => lines,
        };
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
