using HappiTrack.Web.Features.Tokens;
using HappiTrack.Web.Tests.Infrastructure;

namespace HappiTrack.Web.Tests.Brain;

public class TokenRulesTests
{
    private static readonly DateTime Now = HappiTrackFactory.DefaultStart.UtcDateTime;

    private static DiscountToken Token(TokenScope scope, int percent = 10, int? productId = null, string? cart = null) => new()
    {
        Hash = "x", ContactId = 1, Percent = percent, Scope = scope, ProductId = productId, CartProductIds = cart,
        CreatedAt = Now, ExpiresAt = Now.AddHours(48),
    };

    private static readonly PricedLine[] Lines = [new(1, 99_999), new(2, 2_501)];

    [Fact]
    public void Values_are_192_random_bits_in_url_safe_characters_and_never_repeat()
    {
        var values = Enumerable.Range(0, 1000).Select(_ => TokenValue.New()).ToList();
        Assert.All(values, v => Assert.Matches("^[A-Za-z0-9_-]{32}$", v));
        Assert.Equal(values.Count, values.Distinct().Count());
        Assert.True(TokenValue.Bytes * 8 >= 128);
    }

    [Fact]
    public void Only_the_hash_is_stored_and_a_changed_character_hashes_differently()
    {
        var value = TokenValue.New();
        var hash = TokenValue.Hash(value);
        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.DoesNotContain(value, hash);
        var tampered = (value[0] == 'A' ? 'B' : 'A') + value[1..];
        Assert.NotEqual(hash, TokenValue.Hash(tampered));
        Assert.False(TokenValue.IsWellFormed(value[..^1]));
    }

    [Fact]
    public void A_product_token_discounts_only_that_products_line_rounded_down()
    {
        Assert.Equal(9_999, TokenService.DiscountCents(Token(TokenScope.Product, 10, productId: 1), Lines));
        Assert.Equal(250, TokenService.DiscountCents(Token(TokenScope.Product, 10, productId: 2), Lines));
    }

    [Fact]
    public void A_cart_token_discounts_the_rescued_products_and_an_order_token_everything()
    {
        Assert.Equal(250, TokenService.DiscountCents(Token(TokenScope.Cart, 10, cart: "2,7"), Lines));
        Assert.Equal(51_250, TokenService.DiscountCents(Token(TokenScope.Order, 50), Lines));
    }

    /// <summary>
    /// Line 1 is today's deal: €1,000.00 regular, €850.00 after the 15 % deal (saving €150.00). A code does not stack
    /// on it: the line ends at the better of the two, so a code adds only what it takes off the regular price beyond the deal.
    /// </summary>
    [Fact]
    public void A_code_on_a_deal_line_adds_only_what_it_saves_beyond_the_deal_and_a_weaker_code_reports_the_deal_is_better()
    {
        PricedLine[] lines = [new(1, 85_000, 15_000), new(2, 2_501)];
        Assert.Equal(5_000 + 500, TokenService.DiscountCents(Token(TokenScope.Order, 20), lines)); // 20 % of €1,000 − €150, plus 20 % of €25.01
        Assert.Equal(5_000, TokenService.DiscountCents(Token(TokenScope.Product, 20, productId: 1), lines));
        Assert.Equal(250, TokenService.DiscountCents(Token(TokenScope.Order, 10), lines)); // the deal line gets nothing more
        Assert.Equal(0, TokenService.DiscountCents(Token(TokenScope.Product, 15, productId: 1), lines));

        var weaker = TokenService.Evaluate(Token(TokenScope.Product, 10, productId: 1), lines, Now);
        Assert.Equal(TokenCheckStatus.DealIsBetter, weaker.Status);
        Assert.Equal(TokenService.DealIsBetterMessage, weaker.Message);
        Assert.Equal(TokenCheckStatus.NotForThisCart, TokenService.Evaluate(Token(TokenScope.Product, 10, productId: 9), lines, Now).Status);
    }

    [Fact]
    public void Evaluation_reports_used_expired_and_wrong_cart_in_that_order()
    {
        var used = Token(TokenScope.Order);
        used.RedeemedAt = Now.AddMinutes(-1);
        Assert.Equal(TokenCheckStatus.Used, TokenService.Evaluate(used, Lines, Now).Status);

        var expired = Token(TokenScope.Order);
        Assert.Equal(TokenCheckStatus.Expired, TokenService.Evaluate(expired, Lines, expired.ExpiresAt).Status);
        Assert.Equal(TokenCheckStatus.Valid, TokenService.Evaluate(expired, Lines, expired.ExpiresAt.AddTicks(-1)).Status);

        Assert.Equal(TokenCheckStatus.NotForThisCart, TokenService.Evaluate(Token(TokenScope.Product, productId: 9), Lines, Now).Status);
    }
}
