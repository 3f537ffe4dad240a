using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Tracking;

namespace HappiTrack.Web.Tests.Brain;

public class ScoringMathTests
{
    private static readonly DateTime T0 = new(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan HalfLife = TimeSpan.FromDays(14);

    [Fact]
    public void A_score_halves_after_one_half_life_and_quarters_after_two()
    {
        var score = DecayingScore.Zero.Add(80, T0, HalfLife);
        Assert.Equal(80, score.ValueAt(T0, HalfLife), 9);
        Assert.Equal(40, score.ValueAt(T0.AddDays(14), HalfLife), 9);
        Assert.Equal(20, score.ValueAt(T0.AddDays(28), HalfLife), 9);
    }

    [Fact]
    public void Adding_decays_the_old_score_to_the_event_time_then_adds_the_weight()
    {
        var score = DecayingScore.Zero.Add(40, T0, HalfLife).Add(15, T0.AddDays(14), HalfLife);
        Assert.Equal(35, score.Value, 9); // 40·2^-1 + 15
        Assert.Equal(T0.AddDays(14), score.AsOf);
    }

    [Fact]
    public void A_late_event_gives_the_same_score_as_in_order_arrival()
    {
        var inOrder = DecayingScore.Zero.Add(5, T0, HalfLife).Add(15, T0.AddDays(7), HalfLife);
        var late = DecayingScore.Zero.Add(15, T0.AddDays(7), HalfLife).Add(5, T0, HalfLife);
        Assert.Equal(inOrder.ValueAt(T0.AddDays(10), HalfLife), late.ValueAt(T0.AddDays(10), HalfLife), 9);
    }

    [Fact]
    public void Merging_a_visitor_score_into_a_contact_score_aligns_both_in_time()
    {
        var visitor = DecayingScore.Zero.Add(20, T0, HalfLife);
        var contact = DecayingScore.Zero.Add(30, T0.AddDays(14), HalfLife);
        var merged = contact.Merge(visitor, HalfLife);
        Assert.Equal(T0.AddDays(14), merged.AsOf);
        Assert.Equal(40, merged.Value, 9); // 30 + 20·2^-1
    }

    [Fact]
    public void Crossing_means_from_below_to_at_or_above()
    {
        Assert.True(ScoreMath.Crossed(59.99, 60, 60));
        Assert.True(ScoreMath.Crossed(0, 71, 60));
        Assert.False(ScoreMath.Crossed(60, 75, 60));
        Assert.False(ScoreMath.Crossed(10, 59.99, 60));
    }

    [Fact]
    public void Default_weights_follow_the_spec_and_a_client_add_to_cart_hint_counts_nothing()
    {
        var s = new ScoringSettings();
        Assert.Equal(1, EventWeights.For(EventTypes.PageView, EventSource.Client, s));
        Assert.Equal(5, EventWeights.For(EventTypes.ProductView, EventSource.Client, s));
        Assert.Equal(15, EventWeights.For(EventTypes.LingerSpecs, EventSource.Client, s));
        Assert.Equal(2, EventWeights.For(EventTypes.Click, EventSource.Client, s));
        Assert.Equal(50, EventWeights.For(EventTypes.AddToCart, EventSource.Server, s));
        Assert.Equal(0, EventWeights.For(EventTypes.AddToCart, EventSource.Client, s));
        Assert.Equal(30, EventWeights.For(EventTypes.Purchase, EventSource.Server, s));
        Assert.Equal(0, EventWeights.For(EventTypes.Mouse, EventSource.Client, s));
        Assert.Equal(0, EventWeights.For(EventTypes.ExitIntent, EventSource.Client, s));
    }

    [Fact]
    public void The_client_budget_grants_up_to_the_cap_then_nothing()
    {
        Assert.Equal(15, ClientBudget.Grant(0, 15, 60));
        Assert.Equal(5, ClientBudget.Grant(55, 15, 60));
        Assert.Equal(0, ClientBudget.Grant(60, 15, 60));
        Assert.Equal(0, ClientBudget.Grant(70, 1, 60));
    }

    [Fact]
    public void Client_budget_windows_are_clock_hours_with_the_boundary_starting_the_next()
    {
        Assert.Equal(new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc), ClientBudget.WindowStart(new DateTime(2026, 11, 1, 12, 59, 59, 999, DateTimeKind.Utc)));
        Assert.Equal(new DateTime(2026, 11, 1, 13, 0, 0, DateTimeKind.Utc), ClientBudget.WindowStart(new DateTime(2026, 11, 1, 13, 0, 0, DateTimeKind.Utc)));
    }

    [Fact]
    public void Summary_sums_products_ranks_tags_and_skips_purchased_products_for_most_desired()
    {
        var summary = InterestSummary.Compute(
            [new ScoredItem(1, "loq", "LOQ", 70), new ScoredItem(2, "mouse", "Mouse", 20), new ScoredItem(3, "pad", "Pad", 0)],
            [new ScoredItem(10, "gaming", "Gaming", 90), new ScoredItem(11, "lenovo", "Lenovo", 70), new ScoredItem(12, "minimal", "Minimal", 5), new ScoredItem(13, "pastel", "Pastel", 1)],
            new HashSet<int> { 1 });
        Assert.Equal(90, summary.GeneralInterestScore);
        Assert.Equal(["gaming", "lenovo", "minimal"], summary.TopTags);
        Assert.Equal("mouse", summary.MostDesiredProduct!.Slug);
        Assert.Equal(2, summary.Products.Count);
    }

    [Fact]
    public void Nobody_desires_anything_without_scores()
    {
        var summary = InterestSummary.Compute([], [], new HashSet<int>());
        Assert.Null(summary.MostDesiredProduct);
        Assert.Equal(0, summary.GeneralInterestScore);
    }
}
