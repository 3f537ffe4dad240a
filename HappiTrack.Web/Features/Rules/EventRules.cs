using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Tracking;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Rules;

/// <summary>
/// The rules that events set off (SPEC §5): a threshold crossing → interest discount, exit intent →
/// cart rescue, purchase → VIP upgrade. It gathers the facts each rule needs, lets
/// <see cref="RuleDecisions"/> decide, and has <see cref="RuleActions"/> write what fires into the
/// caller's transaction. Rules are evaluated in the order their causes happened (merges first, then
/// event by event), so one rule's nudge is seen by the next rule's guards as before.
/// </summary>
public sealed class EventRules(AppDbContext db, RuleActions actions)
{
    /// <returns>Nudges written.</returns>
    public async Task<int> EvaluateAsync(ScoringResult scored, RuleSettings settings, DateTime now, CancellationToken ct = default)
    {
        var written = 0;
        // A merge has no event of its own; the product id and the time make the de-duplication key unique.
        foreach (var crossing in scored.MergeCrossings)
            written += await InterestDiscountAsync(crossing, -now.Ticks, settings, now, ct);
        foreach (var e in scored.Events)
        {
            if (e.Crossing is { } crossing) written += await InterestDiscountAsync(crossing, e.Event.Id, settings, now, ct);
            if (e.Event.Type == EventTypes.ExitIntent) written += await CartRescueOnExitAsync(e.ContactId, e.Event.VisitorId, settings, now, ct);
            else if (e.Event.Type == EventTypes.Purchase) written += await VipUpgradeAsync(e.ContactId, settings, now, ct);
        }
        return written;
    }

    private async Task<int> InterestDiscountAsync(ThresholdCrossing crossing, long causeEventId, RuleSettings settings, DateTime now, CancellationToken ct)
    {
        var contact = await ContactAsync(crossing.ContactId, ct);
        var purchased = contact is not null && await RuleActions.HasPurchasedAsync(db, contact.Id, crossing.ProductId, ct);
        var lastOffer = contact is null ? null : await RuleActions.LastInterestOfferAsync(db, contact.Id, crossing.ProductId, ct);
        if (!RuleDecisions.InterestDiscountFires(settings.InterestDiscount, contact is not null, purchased, crossing.Before, crossing.After, lastOffer, now)) return 0;
        var product = await db.Products.AsNoTracking().FirstOrDefaultAsync(p => p.Id == crossing.ProductId, ct);
        // A product deleted since its row was scored has nothing to offer.
        if (product is null) return 0;
        if (await actions.InterestDiscountAsync(db, contact!, product, settings, causeEventId, now, ct) is null) return 0;
        await db.SaveChangesAsync(ct);
        return 1;
    }

    private async Task<int> CartRescueOnExitAsync(int? contactId, string visitorId, RuleSettings settings, DateTime now, CancellationToken ct)
    {
        var contact = await ContactAsync(contactId, ct);
        var cart = await db.Carts.Include(c => c.Lines).FirstOrDefaultAsync(c => c.VisitorId == visitorId, ct);
        var pending = cart is not null && await RuleActions.RescuePendingAsync(db, cart.Id, ct);
        if (!RuleDecisions.CartRescueOnExitFires(settings.CartRescue, contact is not null, cart is { IsEmpty: false }, pending)) return 0;
        if (await actions.CartRescueAsync(db, contact!, cart!, settings, now, ct) is null) return 0;
        await db.SaveChangesAsync(ct);
        return 1;
    }

    private async Task<int> VipUpgradeAsync(int? contactId, RuleSettings settings, DateTime now, CancellationToken ct)
    {
        var contact = await ContactAsync(contactId, ct);
        var orders = contact is null ? 0 : await RuleActions.CompletedOrdersAsync(db, contact.Id, ct);
        if (!RuleDecisions.VipUpgradeFires(settings.Vip, contact is not null, contact?.VipStatus ?? false, orders)) return 0;
        // The VIP flag is set even when the guards hold the reward back, so it commits either way.
        var nudge = await actions.VipUpgradeAsync(db, contact!, orders, settings, now, ct);
        await db.SaveChangesAsync(ct);
        return nudge is null ? 0 : 1;
    }

    /// <summary>Tracked, so the VIP flag and the nudges' navigation see one instance per contact within the batch.</summary>
    private async Task<Contact?> ContactAsync(int? id, CancellationToken ct) =>
        id is { } contactId ? await db.Contacts.FindAsync([contactId], ct) : null;
}
