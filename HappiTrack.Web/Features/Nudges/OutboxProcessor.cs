using HappiTrack.Web.Features.Contacts;
using System.Text.Json;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Nudges;

/// <summary>
/// The <c>outbox:dispatch</c> job: claims due nudges one by one with a conditional UPDATE (so two
/// processors or instances never send the same nudge), re-applies the guards, dispatches, and
/// records the outcome. All state is in the nudge rows; a crash mid-send leaves a lease that
/// expires, after which the nudge is retried if the channel de-duplicates resends
/// (<see cref="INudgeDispatcher.ResendIsSafe"/>), or dead-lettered for an admin to check if not.
/// </summary>
/// <remarks>
/// Retry policy, two layers that multiply: the HTTP client retries transient failures within one
/// attempt (<see cref="DispatchHttpOptions"/>: RetryCount retries, jittered exponential delays, a
/// total timeout under half the lease); across attempts the nudge is re-queued with
/// <see cref="Backoff"/> and dead-lettered after <c>Rules:Dispatch:MaxAttempts</c>. So a nudge
/// costs at most MaxAttempts × (1 + RetryCount) requests (5 × 3 = 15 by default) spread over
/// 30 s + 60 s + 120 s + 240 s of outbox backoff. A refusal (4xx other than 408/429) is
/// dead-lettered at once; WhatsApp's marketing limit defers by a day without using an attempt.
/// </remarks>
public sealed class OutboxProcessor(
    AppDbContext db,
    INudgeDispatcher dispatcher,
    RuleSettingsService settingsService,
    ShopContext shop,
    TimeProvider clock,
    IOptions<DispatchOptions> options,
    IOptions<ConsentOptions> consent,
    ILogger<OutboxProcessor> logger)
{
    public const int BatchSize = 50;
    /// <summary>The default of <c>Dispatch:Lease</c>.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    /// <returns>How many nudges were sent.</returns>
    public async Task<int> RunAsync(CancellationToken ct = default)
    {
        var sent = 0;
        var now = clock.GetUtcNow().UtcDateTime;
        var due = await db.Set<Nudge>().AsNoTracking()
            .Where(n => (NudgeStatuses.Pending.Contains(n.Status) && n.SendAfter <= now)
                || (n.Status == NudgeStatuses.Sending && n.LeaseUntil < now))
            .OrderBy(n => n.SendAfter).ThenBy(n => n.Id)
            .Select(n => new { n.Id, n.Status, n.LeaseUntil })
            .Take(BatchSize)
            .ToListAsync(ct);

        foreach (var candidate in due)
        {
            ct.ThrowIfCancellationRequested();
            if (!await ClaimAsync(candidate.Id, candidate.Status, candidate.LeaseUntil, ct)) continue;
            if (await ProcessClaimedAsync(candidate.Id, abandoned: candidate.Status == NudgeStatuses.Sending, ct)) sent++;
        }
        return sent;
    }

    private async Task<bool> ClaimAsync(int id, string status, DateTime? lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.Set<Nudge>().ClaimAsync(id, status, lease, now + options.Value.Lease, ct);
    }

    private async Task<bool> ProcessClaimedAsync(int id, bool abandoned, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var nudge = await db.Set<Nudge>().Include(n => n.Contact).Include(n => n.Token).FirstAsync(n => n.Id == id, ct);
        var settings = await settingsService.GetAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;

        if (abandoned && !dispatcher.ResendIsSafe)
        {
            // The channel may have delivered it before the crash; a second message is worse than a late admin retry.
            nudge.DeadLetter("Outcome unknown: the sender stopped during the send. Check the channel before retrying.");
            logger.LogWarning("Nudge {NudgeId} dead-lettered: its send was interrupted and the channel cannot de-duplicate a resend", nudge.Id);
            await db.SaveChangesAsync(ct);
            return false;
        }

        if (nudge.Kind == NudgeKinds.CartRescue && await CartCheckedOutAsync(nudge, ct))
        {
            nudge.Cancel(NudgeReasons.CheckedOut);
            await db.SaveChangesAsync(ct);
            return false;
        }

        var recent = await NudgeOutbox.RecentSendsAsync(db, nudge.ContactId, nudge.Id, includePending: false, now, settings.Guards, ct);
        var optedIn = NudgeGuards.ConsentAllows(nudge.Contact, nudge.Kind, now, consent.Value.PendingFor);
        var decision = NudgeGuards.Decide(new GuardInput(optedIn, nudge.Contact.OptedOut, recent, nudge.ExpiresAt), now, settings.Guards, shop.TimeZone);
        if (decision.Verdict == GuardVerdict.Suppress)
        {
            nudge.Suppress(decision.Reason);
            logger.LogInformation("Nudge {NudgeId} suppressed at dispatch: {Reason}", nudge.Id, decision.Reason);
            await db.SaveChangesAsync(ct);
            return false;
        }
        if (decision.Verdict == GuardVerdict.Defer)
        {
            nudge.Defer(decision.Until!.Value, decision.Reason);
            logger.LogInformation("Nudge {NudgeId} deferred to {SendAfter:o}: {Reason}", nudge.Id, nudge.SendAfter, decision.Reason);
            await db.SaveChangesAsync(ct);
            return false;
        }

        DispatchResult result;
        try
        {
            result = await dispatcher.SendAsync(await ComposeAsync(nudge, ct), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            result = DispatchResult.Fail(e.GetType().Name + ": " + e.Message);
        }

        now = clock.GetUtcNow().UtcDateTime;
        if (result.Succeeded)
        {
            nudge.MarkSent(now, result.ProviderMessageId);
            // An offer is valid for its period from when the contact receives it, not from when a guard held it back.
            if (nudge.Token is { RedeemedAt: null } token && now > nudge.CreatedAt) token.ExpiresAt += now - nudge.CreatedAt;
        }
        else if (result.DeferFor is { } wait)
        {
            nudge.Defer(now + wait, result.Error);
            logger.LogInformation("Nudge {NudgeId} deferred by the channel to {SendAfter:o}: {Reason}", nudge.Id, nudge.SendAfter, result.Error);
        }
        else
        {
            if (result.Permanent || nudge.Attempts >= settings.Dispatch.MaxAttempts)
            {
                nudge.DeadLetter(result.Error);
                logger.LogWarning("Nudge {NudgeId} is dead after {Attempts} attempts: {Error}", nudge.Id, nudge.Attempts, nudge.LastError);
            }
            else
            {
                nudge.Fail(result.Error, now + Backoff(nudge.Attempts, settings.Dispatch));
            }
        }
        await db.SaveChangesAsync(ct);
        return result.Succeeded;
    }

    private async Task<OutgoingMessage> ComposeAsync(Nudge nudge, CancellationToken ct)
    {
        ProductSummary? product = null;
        if (nudge.ProductId is { } productId)
            product = await db.Products.AsNoTracking().Where(p => p.Id == productId)
                .Select(p => new ProductSummary(p.Id, p.Slug, p.Name, p.PriceCents)).FirstOrDefaultAsync(ct);
        List<CartLineSummary>? cart = null;
        if (nudge.CartSnapshot is not null)
        {
            var lines = JsonSerializer.Deserialize<List<CartSnapshotLine>>(nudge.CartSnapshot) ?? [];
            var ids = lines.Select(l => l.ProductId).ToList();
            var products = await db.Products.AsNoTracking().Where(p => ids.Contains(p.Id)).ToDictionaryAsync(p => p.Id, ct);
            cart = lines.Where(l => products.ContainsKey(l.ProductId))
                .Select(l => new CartLineSummary(l.ProductId, products[l.ProductId].Name, l.Quantity, products[l.ProductId].PriceCents)).ToList();
        }
        return new OutgoingMessage(nudge.Id, nudge.Kind, nudge.Contact.Phone, nudge.Contact.Name, nudge.Message, nudge.Link)
        {
            Code = nudge.Code,
            Token = nudge.TokenValue,
            Product = product,
            Cart = cart,
            LastInboundAt = nudge.Contact.LastInboundAt,
        };
    }

    /// <summary>Exponential: base, 2·base, 4·base... capped at a day.</summary>
    public static TimeSpan Backoff(int attempts, OutboxRetrySettings settings) =>
        TimeSpan.FromSeconds(Math.Min(86_400, settings.BaseBackoffSeconds * Math.Pow(2, Math.Max(0, attempts - 1))));

    /// <summary>Stop-on-purchase, re-checked here in case the checkout's own cancel did not run.</summary>
    private Task<bool> CartCheckedOutAsync(Nudge nudge, CancellationToken ct) =>
        db.Set<Order>().AnyAsync(o => o.PlacedAt >= nudge.CreatedAt
            && (o.VisitorId == nudge.CartVisitorId || o.ContactId == nudge.ContactId), ct);
}
