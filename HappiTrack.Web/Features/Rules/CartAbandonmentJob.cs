using Hangfire;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Settings;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Rules;

/// <summary>
/// The <c>brain:cart-abandonment</c> job: a linked contact's cart with items, untouched for the idle
/// period, gets a rescue nudge. The nudge's de-duplication key is the cart's state, so running the
/// job again (or after an exit-intent rescue of the same state) writes nothing.
/// </summary>
public sealed class CartAbandonmentJob(
    AppDbContext db, RuleSettingsService settingsService, RuleActions actions, IOutboxTrigger outboxTrigger, TimeProvider clock)
{
    /// <summary>Carts idle longer than this are history, not abandonment in progress.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(2);

    public const string Id = "brain:cart-abandonment";

    /// <summary>Hangfire's entry point (recurring on <c>Jobs:Cron:CartAbandonment</c>).</summary>
    [AutomaticRetry(Attempts = 0)]
    public Task RunScheduledAsync(CancellationToken ct) => RunAsync(ct);

    public async Task<int> RunAsync(CancellationToken ct = default)
    {
        var settings = await settingsService.GetAsync(ct);
        if (!settings.CartRescue.Enabled) return 0;
        var now = clock.GetUtcNow().UtcDateTime;
        var idleSince = now - TimeSpan.FromMinutes(settings.CartRescue.IdleMinutes);
        var candidates = await db.Carts.AsNoTracking()
            .Where(c => c.UpdatedAt <= idleSince && c.UpdatedAt > now - Horizon && c.Lines.Any())
            .Where(c => db.Visitors.Any(v => v.Id == c.VisitorId && v.ContactId != null))
            .Where(c => !db.Set<Nudge>().Any(n => n.CartId == c.Id && n.Kind == NudgeKinds.CartRescue && n.CreatedAt >= c.UpdatedAt))
            .OrderBy(c => c.Id)
            .Select(c => c.Id)
            .Take(200)
            .ToListAsync(ct);

        var written = 0;
        foreach (var cartId in candidates)
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginWriteTransactionAsync(ct);
            var cart = await db.Carts.Include(c => c.Lines).FirstAsync(c => c.Id == cartId, ct);
            var contactId = await db.Visitors.Where(v => v.Id == cart.VisitorId).Select(v => v.ContactId).FirstOrDefaultAsync(ct);
            var contact = contactId is null ? null : await db.Contacts.FirstOrDefaultAsync(c => c.Id == contactId, ct);
            if (contact is null || cart.IsEmpty || !RuleDecisions.CartIsIdle(settings.CartRescue, cart.UpdatedAt, now)) continue;
            if (await RuleActions.RescuePendingAsync(db, cart.Id, ct)) continue;
            if (await actions.CartRescueAsync(db, contact, cart, settings, now, ct) is null) continue;
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            written++;
        }
        if (written > 0) outboxTrigger.NudgeWritten();
        return written;
    }
}
