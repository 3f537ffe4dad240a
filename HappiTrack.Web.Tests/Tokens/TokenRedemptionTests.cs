using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Tokens;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Brain;

public class TokenRedemptionTests : IAsyncLifetime
{
    private readonly HappiTrackFactory _app = new();
    private BrainKit Kit => new(_app);
    private static readonly PricedLine[] Lines = [new(1, 10_000)];

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _app.DisposeAsync();

    private Task<string> IssueAsync(int contactId, TokenScope scope = TokenScope.Order, int percent = 50, TimeSpan? validFor = null) =>
        _app.WithDbAsync(async db =>
        {
            var (_, value) = TokenService.Issue(db, contactId, percent, scope, Kit.Now, validFor ?? TimeSpan.FromDays(30));
            await db.SaveChangesAsync();
            return value;
        });

    [Fact]
    public async Task Twenty_parallel_redemptions_of_one_token_let_exactly_one_succeed()
    {
        var contact = await Kit.ContactAsync();
        var value = await IssueAsync(contact.Id);

        using var start = new ManualResetEventSlim();
        var attempts = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            await using var scope = _app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var store = scope.ServiceProvider.GetRequiredService<ITokenRedemptionStore>();
            var tokenId = await db.Set<DiscountToken>().Where(t => t.Hash == TokenValue.Hash(value)).Select(t => t.Id).SingleAsync();
            return await store.TryRedeemAsync(db, tokenId, null, Kit.Now);
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(attempts);

        Assert.Equal(1, results.Count(r => r));
        Assert.NotNull(await _app.WithDbAsync(db => db.Set<DiscountToken>().Select(t => t.RedeemedAt).SingleAsync()));
    }

    [Fact]
    public async Task A_token_works_once_then_says_used()
    {
        var contact = await Kit.ContactAsync();
        var value = await IssueAsync(contact.Id);
        var first = await Kit.RedeemAsync(value, contact.Id, Lines);
        Assert.True(first.IsValid);
        Assert.Equal(5_000, first.DiscountCents);
        var second = await Kit.RedeemAsync(value, contact.Id, Lines);
        Assert.Equal((TokenCheckStatus.Used, TokenService.UsedMessage), (second.Status, second.Message));
    }

    [Fact]
    public async Task Expired_tampered_truncated_unknown_and_other_contacts_tokens_are_refused()
    {
        var owner = await Kit.ContactAsync();
        var other = await Kit.ContactAsync("+4915112345670", "Other");
        var value = await IssueAsync(owner.Id, validFor: TimeSpan.FromHours(48));
        var tampered = (value[5] == 'A' ? 'B' : 'A') is var c ? value[..5] + c + value[6..] : value;

        Assert.Equal(TokenService.InvalidMessage, (await Kit.CheckAsync(tampered, owner.Id, Lines)).Message);
        Assert.Equal(TokenService.InvalidMessage, (await Kit.CheckAsync(value[..^1], owner.Id, Lines)).Message);
        Assert.Equal(TokenService.InvalidMessage, (await Kit.CheckAsync(TokenValue.New(), owner.Id, Lines)).Message);
        Assert.Equal(TokenService.InvalidMessage, (await Kit.CheckAsync("' OR 1=1 --", owner.Id, Lines)).Message);
        // Someone else's token reads exactly like an unknown one: no hint that it exists.
        Assert.Equal(TokenService.InvalidMessage, (await Kit.CheckAsync(value, other.Id, Lines)).Message);
        Assert.Equal(TokenService.InvalidMessage, (await Kit.CheckAsync(value, null, Lines)).Message);
        Assert.False((await Kit.RedeemAsync(value, other.Id, Lines)).IsValid);

        Assert.True((await Kit.CheckAsync(value, owner.Id, Lines)).IsValid);
        _app.Clock.Advance(TimeSpan.FromHours(48));
        var expired = await Kit.RedeemAsync(value, owner.Id, Lines);
        Assert.Equal((TokenCheckStatus.Expired, TokenService.ExpiredMessage), (expired.Status, expired.Message));
        Assert.Null(await _app.WithDbAsync(db => db.Set<DiscountToken>().Select(t => t.RedeemedAt).SingleAsync()));
    }

    [Fact]
    public async Task A_product_token_is_refused_for_a_cart_without_that_product()
    {
        var contact = await Kit.ContactAsync();
        var value = await _app.WithDbAsync(async db =>
        {
            var (_, v) = TokenService.Issue(db, contact.Id, 10, TokenScope.Product, Kit.Now, TimeSpan.FromHours(48), productId: 7);
            await db.SaveChangesAsync();
            return v;
        });
        var check = await Kit.RedeemAsync(value, contact.Id, Lines);
        Assert.Equal((TokenCheckStatus.NotForThisCart, TokenService.NotForThisCartMessage), (check.Status, check.Message));
        Assert.True((await Kit.RedeemAsync(value, contact.Id, [new PricedLine(7, 1_999)])).IsValid);
    }
}
