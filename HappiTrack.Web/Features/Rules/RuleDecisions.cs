using HappiTrack.Web.Features.Settings;

namespace HappiTrack.Web.Features.Rules;

/// <summary>The trigger conditions of the three rules of SPEC §5, as pure functions.</summary>
public static class RuleDecisions
{
    /// <summary>
    /// Interest discount: a linked contact's score for one product crosses the threshold, the contact
    /// has not bought the product (like "most desired", an offer is only for what is not bought yet:
    /// a purchase scores too) and was not offered it within the repeat period.
    /// </summary>
    public static bool InterestDiscountFires(
        InterestDiscountSettings settings, bool isContact, bool alreadyPurchased, double before, double after, DateTime? lastOfferAt, DateTime now) =>
        settings.Enabled
        && isContact
        && !alreadyPurchased
        && before < settings.Threshold && after >= settings.Threshold
        && (lastOfferAt is null || lastOfferAt.Value <= now - TimeSpan.FromDays(settings.RepeatAfterDays));

    /// <summary>Cart rescue on exit intent: a linked contact leaves with items and no rescue is already waiting.</summary>
    public static bool CartRescueOnExitFires(CartRescueSettings settings, bool isContact, bool cartHasItems, bool rescuePending) =>
        settings.Enabled && isContact && cartHasItems && !rescuePending;

    /// <summary>Cart rescue by idleness: untouched for at least IdleMinutes (the boundary itself counts as idle).</summary>
    public static bool CartIsIdle(CartRescueSettings settings, DateTime cartUpdatedAt, DateTime now) =>
        now - cartUpdatedAt >= TimeSpan.FromMinutes(settings.IdleMinutes);

    /// <summary>VIP upgrade: the AfterOrders-th completed order of a contact who is not VIP yet (VIP is permanent).</summary>
    public static bool VipUpgradeFires(VipSettings settings, bool isContact, bool alreadyVip, int completedOrders) =>
        settings.Enabled && isContact && !alreadyVip && completedOrders >= settings.AfterOrders;
}
