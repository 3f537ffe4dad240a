using System.Buffers.Text;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Tokens;
using HappiTrack.Web.Tests.Brain;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace HappiTrack.Web.Tests.Security;

/// <summary>
/// SECURITY.md rows 7 and 8 at the issue's volume, through <see cref="TokenService.RedeemAsync"/>
/// (check and atomic redemption, as checkout calls it), on SQLite and on PostgreSQL.
/// </summary>
public sealed class TokenAbuseTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly HappiTrackFactory _app = new();
    private BrainKit Kit => new(_app);
    private static readonly PricedLine[] Lines = [new(1, 10_000)];

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_thousand_tampered_foreign_expired_and_used_tokens_are_all_refused_and_only_owners_hear_more_than_one_generic_message()
    {
        var owner = await Kit.ContactAsync("+4915112340001", "Owner");
        var other = await Kit.ContactAsync("+4915112340002", "Other");
        var bystanders = new List<Contact>();
        for (var i = 0; i < 10; i++) bystanders.Add(await Kit.ContactAsync($"+49151123401{i:D2}", $"Bystander {i}"));

        var valid = await IssueAsync(owner.Id, TimeSpan.FromDays(2));
        var othersValid = await IssueAsync(other.Id, TimeSpan.FromDays(2));
        var expired = new List<string>();
        var used = new List<string>();
        for (var i = 0; i < 100; i++) expired.Add(await IssueAsync(owner.Id, TimeSpan.FromDays(-1)));
        for (var i = 0; i < 100; i++)
        {
            var value = await IssueAsync(owner.Id, TimeSpan.FromDays(2));
            Assert.True((await Kit.RedeemAsync(value, owner.Id, Lines)).IsValid);
            used.Add(value);
        }

        // (category, token presented, by whom)
        var attempts = new List<(string Category, string Token, int ContactId)>();
        for (var bit = 0; bit < TokenValue.Bytes * 8; bit++) attempts.Add(("bit flip", FlipBit(valid, bit), owner.Id));
        for (var bit = 0; bit < 108; bit++) attempts.Add(("bit flip", FlipBit(othersValid, bit * 7 % (TokenValue.Bytes * 8)), other.Id));
        for (var k = 0; k < TokenValue.Length; k++) attempts.Add(("truncated", valid[..k], owner.Id));
        for (var k = 1; k < TokenValue.Length; k++) attempts.Add(("truncated", valid[k..], owner.Id));
        for (var k = 0; k < TokenValue.Length; k++) attempts.Add(("truncated", valid.Remove(k, 1), owner.Id));
        for (var k = 0; k <= TokenValue.Length; k++) attempts.Add(("lengthened", valid.Insert(k, "A"), owner.Id));
        for (var k = 0; k < TokenValue.Length; k++) attempts.Add(("swapped", Swap(valid, k), owner.Id));
        for (var k = 0; k < 90; k++) attempts.Add(("truncated", othersValid[..(k % TokenValue.Length)] + (k >= TokenValue.Length ? "-" : ""), other.Id));
        attempts.Add(("another contact's", valid, other.Id));
        attempts.Add(("another contact's", othersValid, owner.Id));
        foreach (var bystander in bystanders)
        {
            attempts.Add(("another contact's", valid, bystander.Id));
            attempts.Add(("another contact's", othersValid, bystander.Id));
        }
        for (var i = 0; i < 128; i++) attempts.Add(("another contact's", i % 2 == 0 ? valid : othersValid, bystanders[i % bystanders.Count].Id));
        for (var i = 0; i < 50; i++) attempts.Add(("another contact's expired", expired[i], bystanders[i % bystanders.Count].Id));
        for (var i = 0; i < 50; i++) attempts.Add(("another contact's used", used[i], other.Id));
        attempts.AddRange(expired.Select(value => ("expired", value, owner.Id)));
        attempts.AddRange(used.Select(value => ("used", value, owner.Id)));
        Assert.Equal(1000, attempts.Count);

        var outcomes = new List<(string Category, TokenCheck Check)>();
        foreach (var (category, token, contactId) in attempts)
            outcomes.Add((category, await Kit.RedeemAsync(token, contactId, Lines)));

        output.WriteLine(string.Join("; ", outcomes.GroupBy(o => o.Category)
            .Select(g => $"{g.Key} ×{g.Count()}: {string.Join(", ", g.GroupBy(o => o.Check.Message).Select(m => $"\"{m.Key}\" ×{m.Count()}"))}")));
        Assert.DoesNotContain(outcomes, o => o.Check.IsValid || o.Check.DiscountCents != 0);
        // Everything not presented by its owner reads the same, so nothing tells an attacker a token exists.
        Assert.Equal([TokenService.InvalidMessage], outcomes.Where(o => o.Category is not ("expired" or "used")).Select(o => o.Check.Message).Distinct());
        Assert.All(outcomes.Where(o => o.Category == "expired"), o => Assert.Equal(TokenService.ExpiredMessage, o.Check.Message));
        Assert.All(outcomes.Where(o => o.Category == "used"), o => Assert.Equal(TokenService.UsedMessage, o.Check.Message));

        // Nothing was redeemed by the attempts, and the two real tokens still work for their owners.
        Assert.Equal(100, await _app.WithDbAsync(db => db.Set<DiscountToken>().CountAsync(t => t.RedeemedAt != null)));
        Assert.True((await Kit.RedeemAsync(valid, owner.Id, Lines)).IsValid);
        Assert.True((await Kit.RedeemAsync(othersValid, other.Id, Lines)).IsValid);
    }

    [Fact]
    public async Task Fifty_tokens_each_redeemed_by_twenty_parallel_checkouts_succeed_exactly_once_each()
    {
        var contact = await Kit.ContactAsync();
        var tokens = new List<string>();
        for (var i = 0; i < 50; i++) tokens.Add(await IssueAsync(contact.Id, TimeSpan.FromDays(2)));

        var wins = new int[tokens.Count];
        var losses = new int[tokens.Count];
        // Five tokens at a time, so 100 redemptions race at once; every token's twenty start together.
        foreach (var group in Enumerable.Range(0, tokens.Count).Chunk(5))
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var racers = group.SelectMany(t => Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
            {
                await gate.Task;
                await using var scope = _app.Services.CreateAsyncScope();
                var check = await scope.ServiceProvider.GetRequiredService<TokenService>().RedeemAsync(tokens[t], contact.Id, Lines, orderId: null);
                if (check.IsValid) Interlocked.Increment(ref wins[t]);
                else
                {
                    Assert.Equal((TokenCheckStatus.Used, TokenService.UsedMessage), (check.Status, check.Message));
                    Interlocked.Increment(ref losses[t]);
                }
            }))).ToList();
            gate.SetResult();
            await Task.WhenAll(racers);
        }

        output.WriteLine($"{_app.Provider}: {wins.Sum()} successes and {losses.Sum()} 'already used' over {tokens.Count} tokens × 20 parallel redemptions");
        Assert.All(wins, w => Assert.Equal(1, w));
        Assert.All(losses, l => Assert.Equal(19, l));
        Assert.Equal(50, await _app.WithDbAsync(db => db.Set<DiscountToken>().CountAsync(t => t.RedeemedAt != null)));
    }

    private Task<string> IssueAsync(int contactId, TimeSpan validFor) => _app.WithDbAsync(async db =>
    {
        var (_, value) = TokenService.Issue(db, contactId, 10, TokenScope.Order, Kit.Now, validFor);
        await db.SaveChangesAsync();
        return value;
    });

    private static string FlipBit(string token, int bit)
    {
        var bytes = Base64Url.DecodeFromChars(token);
        bytes[bit / 8] ^= (byte)(1 << (bit % 8));
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>Swaps a character with its neighbour, or changes it when both are the same.</summary>
    private static string Swap(string token, int k)
    {
        var chars = token.ToCharArray();
        var j = (k + 1) % chars.Length;
        if (chars[k] == chars[j]) chars[k] = chars[k] == 'x' ? 'y' : 'x';
        else (chars[k], chars[j]) = (chars[j], chars[k]);
        return new string(chars);
    }
}
