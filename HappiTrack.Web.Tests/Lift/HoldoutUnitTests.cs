using System.Text;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Settings;

namespace HappiTrack.Web.Tests.Lift;

/// <summary>Arm assignment (issue 19) and the interval arithmetic of the lift section, without a database.</summary>
public sealed class HoldoutAssignmentTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("unit-test-holdout-key-0123456789abcdef");
    private const int Contacts = 100_000;

    [Theory]
    [InlineData(10)]
    [InlineData(25)]
    [InlineData(50)]
    public void The_held_out_share_of_100000_contacts_matches_the_percentage(int percent)
    {
        var held = Enumerable.Range(1, Contacts).Count(id => Holdouts.IsHeldOut(Key, id, "rule:cart_rescue", "2026-12", percent));
        // Binomial sd at 50 % over 100,000 is 0.16 points; 0.6 points is about four of them.
        Assert.InRange(held * 100.0 / Contacts, percent - 0.6, percent + 0.6);
    }

    [Fact]
    public void The_arm_is_stable_and_depends_on_subject_period_and_key_only()
    {
        var first = Enumerable.Range(1, 2000).Select(id => Holdouts.IsHeldOut(Key, id, "rule:vip_upgrade", "2026-12", 10)).ToArray();
        var again = Enumerable.Range(1, 2000).Select(id => Holdouts.IsHeldOut(Key, id, "rule:vip_upgrade", "2026-12", 10)).ToArray();
        Assert.Equal(first, again);

        // Another rule, month or key draws afresh: the overlap of two independent 10 % groups is about 1 %, not 10 %.
        var otherRule = Enumerable.Range(1, Contacts).Count(id => Holdouts.IsHeldOut(Key, id, "rule:vip_upgrade", "2026-12", 10) && Holdouts.IsHeldOut(Key, id, "rule:cart_rescue", "2026-12", 10));
        var otherMonth = Enumerable.Range(1, Contacts).Count(id => Holdouts.IsHeldOut(Key, id, "rule:vip_upgrade", "2026-12", 10) && Holdouts.IsHeldOut(Key, id, "rule:vip_upgrade", "2027-01", 10));
        var otherKey = Enumerable.Range(1, Contacts).Count(id => Holdouts.IsHeldOut(Key, id, "rule:vip_upgrade", "2026-12", 10) && Holdouts.IsHeldOut([.. Key, 1], id, "rule:vip_upgrade", "2026-12", 10));
        foreach (var overlap in new[] { otherRule, otherMonth, otherKey }) Assert.InRange(overlap * 100.0 / Contacts, 0.7, 1.3);

        // A larger percentage keeps everyone the smaller one held out (buckets are nested), so raising it never swaps people.
        Assert.All(Enumerable.Range(1, 5000).Where(id => Holdouts.IsHeldOut(Key, id, "campaign:7", "2026-12", 10)),
            id => Assert.True(Holdouts.IsHeldOut(Key, id, "campaign:7", "2026-12", 20)));
        Assert.DoesNotContain(Enumerable.Range(1, 5000), id => Holdouts.IsHeldOut(Key, id, "campaign:7", "2026-12", 0));
        Assert.Equal("2026-12", Holdouts.Period(new DateTime(2026, 12, 31, 23, 59, 0, DateTimeKind.Utc)));
    }

    [Fact]
    public void Rule_holdouts_default_to_10_percent_and_accept_0_to_50()
    {
        var settings = new RuleSettings();
        Assert.Equal((10, 10, 10), (settings.InterestDiscount.HoldoutPercent, settings.CartRescue.HoldoutPercent, settings.Vip.HoldoutPercent));
        settings.CartRescue.HoldoutPercent = 51;
        settings.Vip.HoldoutPercent = -1;
        settings.InterestDiscount.HoldoutPercent = 50;
        var errors = settings.Validate();
        Assert.Equal(["CartRescue.HoldoutPercent", "Vip.HoldoutPercent"], errors.Keys.Order().ToArray());
    }
}

public sealed class LiftMathTests
{
    [Fact]
    public void Wilson_interval_matches_the_hand_computed_value()
    {
        // 56/70: p = 0.8, z² = 3.8415; centre (0.8 + 3.8415/140) / (1 + 3.8415/70) = 0.78448,
        // half 1.96·sqrt(0.16/70 + 3.8415/19600) / 1.05488 = 0.09256 → 0.6918 to 0.8770.
        var w = LiftMath.Wilson(56, 70);
        Assert.Equal(0.6918, w.Low, 4);
        Assert.Equal(0.8770, w.High, 4);
    }

    [Theory]
    // Newcombe (1998), Table II, method 10: the published intervals for his worked examples.
    [InlineData(56, 70, 48, 80, 0.0524, 0.3339)]
    [InlineData(9, 10, 3, 10, 0.1705, 0.8090)]
    [InlineData(6, 7, 2, 7, 0.0582, 0.8062)]
    [InlineData(5, 56, 0, 29, -0.0381, 0.1926)]
    public void Difference_interval_matches_Newcombes_published_values(int x1, int n1, int x2, int n2, double low, double high)
    {
        var ci = LiftMath.Difference(x1, n1, x2, n2);
        Assert.Equal(low, ci.Low, 4);
        Assert.Equal(high, ci.High, 4);
    }

    [Fact]
    public void Relative_interval_is_Katz_log_interval_and_undefined_without_conversions()
    {
        // 56/70 vs 48/80: RR = 0.8/0.6 = 1.3333, se = sqrt(1/56 - 1/70 + 1/48 - 1/80) = 0.10992,
        // exp(ln 1.3333 ∓ 1.96·0.10992) = 1.0749 and 1.6539 → relative lift +7.5 % to +65.4 % (hand-computed, rounded).
        var ci = LiftMath.Relative(56, 70, 48, 80)!.Value;
        Assert.Equal(0.0766, ci.Low, 3);
        Assert.Equal(0.6512, ci.High, 3);
        Assert.Null(LiftMath.Relative(5, 56, 0, 29));
    }

    [Fact]
    public void Too_small_to_tell_below_30_per_arm_or_when_the_interval_includes_zero()
    {
        var small = new LiftEstimate("x", new LiftArm(29, 20, 20, 0, 29), new LiftArm(29, 1, 1, 0, 0));
        Assert.True(small.TooSmallToTell);
        Assert.StartsWith("Too small to tell: fewer than 30", small.Verdict);
        var spans = new LiftEstimate("x", new LiftArm(100, 12, 12, 0, 100), new LiftArm(100, 10, 10, 0, 0));
        Assert.True(spans.TooSmallToTell);
        Assert.Equal("Too small to tell: the interval includes zero", spans.Verdict);
        var clear = new LiftEstimate("x", new LiftArm(400, 80, 90, 900_000, 400), new LiftArm(100, 8, 8, 80_000, 0));
        Assert.False(clear.TooSmallToTell);
        Assert.Equal("Adds conversions", clear.Verdict);
        // 20 % vs 8 %: 48 incremental conversions for 400 messages; orders 90 - 8·4 = 58; revenue 9000 - 800·4 = 5800 €.
        Assert.Equal(48, clear.IncrementalConversions!.Value, 6);
        Assert.Equal(400 / 48.0, clear.MessagesPerIncrementalConversion!.Value, 6);
        Assert.Equal(58, clear.IncrementalOrders!.Value, 6);
        Assert.Equal(580_000, clear.IncrementalRevenueCents!.Value, 6);
    }

    [Fact]
    public void A_contact_converts_by_an_order_within_the_window_after_any_of_their_nudges_in_either_arm()
    {
        var t0 = new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);
        var week = TimeSpan.FromDays(7);
        LiftNudge[] nudges =
        [
            new("R", false, 1, t0, true), new("R", false, 1, t0.AddDays(20), true), // two windows, one contact
            new("R", false, 2, t0, true),
            new("R", true, 3, t0, false),
            new("R", true, 4, t0, false),
        ];
        LiftOrder[] orders =
        [
            new(1, 1, t0.AddDays(21), 100), new(2, 1, t0.AddDays(10), 999), // in the second window; between the windows
            new(3, 2, t0.AddDays(7).AddMinutes(1), 100), // one minute late
            new(4, 3, t0.AddDays(7), 300), new(5, 3, t0.AddDays(1), 200), // both inside
            new(6, 4, t0.AddMinutes(-1), 100), // before the nudge
        ];
        var e = Assert.Single(LiftCalculator.Estimate(nudges, orders, week, ["R"]));
        Assert.Equal(new LiftArm(2, 1, 1, 100, 3), e.Treated);
        Assert.Equal(new LiftArm(2, 1, 2, 500, 0), e.HeldOut);
    }
}
