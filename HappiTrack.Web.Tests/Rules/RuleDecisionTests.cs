using HappiTrack.Web.Features.Rules;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Tests.Infrastructure;

namespace HappiTrack.Web.Tests.Brain;

public class RuleDecisionTests
{
    private static readonly DateTime Now = HappiTrackFactory.DefaultStart.UtcDateTime;

    [Fact]
    public void Interest_discount_fires_when_a_contact_crosses_the_threshold()
    {
        Assert.True(RuleDecisions.InterestDiscountFires(new InterestDiscountSettings(), isContact: true, alreadyPurchased: false, 21, 71, lastOfferAt: null, Now));
    }

    [Theory]
    [InlineData(false, 21, 71)]   // anonymous visitor: nobody to message
    [InlineData(true, 21, 59.9)]  // below threshold
    [InlineData(true, 61, 76)]    // already above: not a crossing
    public void Interest_discount_does_not_fire(bool isContact, double before, double after)
    {
        Assert.False(RuleDecisions.InterestDiscountFires(new InterestDiscountSettings(), isContact, alreadyPurchased: false, before, after, null, Now));
    }

    [Fact]
    public void Interest_discount_repeats_for_a_product_only_after_the_repeat_period()
    {
        var settings = new InterestDiscountSettings();
        Assert.False(RuleDecisions.InterestDiscountFires(settings, true, false, 0, 70, Now.AddDays(-29.9), Now));
        Assert.True(RuleDecisions.InterestDiscountFires(settings, true, false, 0, 70, Now.AddDays(-30), Now));
    }

    [Fact]
    public void Interest_discount_is_not_offered_for_a_product_the_contact_has_bought()
    {
        Assert.False(RuleDecisions.InterestDiscountFires(new InterestDiscountSettings(), true, alreadyPurchased: true, 21, 71, null, Now));
    }

    [Fact]
    public void Interest_discount_is_off_when_disabled()
    {
        Assert.False(RuleDecisions.InterestDiscountFires(new InterestDiscountSettings { Enabled = false }, true, false, 0, 70, null, Now));
    }

    [Fact]
    public void Cart_rescue_on_exit_needs_a_contact_items_and_no_pending_rescue()
    {
        var s = new CartRescueSettings();
        Assert.True(RuleDecisions.CartRescueOnExitFires(s, isContact: true, cartHasItems: true, rescuePending: false));
        Assert.False(RuleDecisions.CartRescueOnExitFires(s, true, cartHasItems: false, false));
        Assert.False(RuleDecisions.CartRescueOnExitFires(s, isContact: false, true, false));
        Assert.False(RuleDecisions.CartRescueOnExitFires(s, true, true, rescuePending: true));
        Assert.False(RuleDecisions.CartRescueOnExitFires(new CartRescueSettings { Enabled = false }, true, true, false));
    }

    [Fact]
    public void A_cart_is_idle_from_exactly_the_idle_period_on()
    {
        var s = new CartRescueSettings();
        Assert.False(RuleDecisions.CartIsIdle(s, Now.AddMinutes(-29).AddSeconds(-59), Now));
        Assert.True(RuleDecisions.CartIsIdle(s, Now.AddMinutes(-30), Now));
    }

    [Fact]
    public void Vip_upgrade_fires_at_the_third_order_only_for_non_vips()
    {
        var s = new VipSettings();
        Assert.False(RuleDecisions.VipUpgradeFires(s, isContact: true, alreadyVip: false, completedOrders: 2));
        Assert.True(RuleDecisions.VipUpgradeFires(s, true, false, 3));
        Assert.False(RuleDecisions.VipUpgradeFires(s, true, alreadyVip: true, 4));
        Assert.False(RuleDecisions.VipUpgradeFires(new VipSettings { Enabled = false }, true, false, 3));
        Assert.False(RuleDecisions.VipUpgradeFires(s, isContact: false, false, 3)); // an anonymous buyer has nobody to upgrade
    }

    [Fact]
    public void Settings_validation_names_each_bad_field()
    {
        var settings = new RuleSettings();
        settings.InterestDiscount.Percent = 0;
        settings.Guards.QuietHoursStart = "9pm";
        settings.Vip.Template = "no link here";
        settings.Scoring.Weights["teleport"] = 3;
        var errors = settings.Validate();
        Assert.Contains("InterestDiscount.Percent", errors.Keys);
        Assert.Contains("Guards.QuietHoursStart", errors.Keys);
        Assert.Contains("Vip.Template", errors.Keys);
        Assert.Contains("Scoring.Weights.teleport", errors.Keys);
        Assert.Empty(new RuleSettings().Validate());
    }
}
