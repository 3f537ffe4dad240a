using HappiTrack.Web.Features.Nudges;
using static HappiTrack.Web.Features.Analytics.AnalyticsDashboard;

namespace HappiTrack.Web.Features.Analytics;

/// <summary>A 95 % interval; both ends in the estimate's own unit.</summary>
public readonly record struct Interval(double Low, double High)
{
    public bool Contains(double value) => value >= Low && value <= High;
    public bool SpansZero => Low <= 0 && High >= 0;
}

/// <summary>
/// The interval arithmetic of the lift section, kept free of data access so it is tested against hand-computed values.
/// Absolute lift (difference of two proportions): Newcombe's hybrid score interval ("method 10", Newcombe 1998,
/// Statistics in Medicine 17:873), built from the two arms' Wilson score intervals. Unlike the Wald interval it stays
/// inside [-1, 1] and keeps its coverage for small counts and rates near 0, which is where conversion rates live.
/// Relative lift (treated rate / held-out rate - 1): the Katz log interval of the risk ratio, undefined when either arm has no conversion.
/// </summary>
public static class LiftMath
{
    public const double Z95 = 1.959963984540054;

    public static Interval Wilson(int successes, int n, double z = Z95)
    {
        if (n <= 0) return new Interval(0, 1);
        var p = (double)successes / n;
        var z2 = z * z;
        var centre = p + z2 / (2 * n);
        var half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        var denominator = 1 + z2 / n;
        return new Interval(Math.Max(0, (centre - half) / denominator), Math.Min(1, (centre + half) / denominator));
    }

    /// <summary>Newcombe's interval for p1 - p2 (arm 1 treated, arm 2 held out).</summary>
    public static Interval Difference(int x1, int n1, int x2, int n2, double z = Z95)
    {
        var p1 = (double)x1 / n1;
        var p2 = (double)x2 / n2;
        var w1 = Wilson(x1, n1, z);
        var w2 = Wilson(x2, n2, z);
        var d = p1 - p2;
        return new Interval(
            d - Math.Sqrt(Square(p1 - w1.Low) + Square(w2.High - p2)),
            d + Math.Sqrt(Square(w1.High - p1) + Square(p2 - w2.Low)));
    }

    /// <summary>Katz's interval for p1 / p2 - 1; null when an arm has no conversions (the log is undefined).</summary>
    public static Interval? Relative(int x1, int n1, int x2, int n2, double z = Z95)
    {
        if (x1 == 0 || x2 == 0 || n1 == 0 || n2 == 0) return null;
        var logRatio = Math.Log((double)x1 / n1 / ((double)x2 / n2));
        var se = Math.Sqrt(1.0 / x1 - 1.0 / n1 + 1.0 / x2 - 1.0 / n2);
        return new Interval(Math.Exp(logRatio - z * se) - 1, Math.Exp(logRatio + z * se) - 1);
    }

    private static double Square(double x) => x * x;
}

/// <summary>One arm of one comparison: distinct contacts, those who ordered within a window, their orders and revenue, messages sent.</summary>
public readonly record struct LiftArm(int Contacts, int Converted, int Orders, long RevenueCents, int MessagesSent)
{
    public double? Rate => Contacts == 0 ? null : (double)Converted / Contacts;
}

/// <summary>
/// What a rule or campaign added over its control group. "Too small to tell" when either arm has fewer than
/// <see cref="LiftEstimate.MinContactsPerArm"/> contacts or the 95 % interval of the absolute lift includes zero:
/// then the data cannot tell a real effect from chance.
/// </summary>
public sealed record LiftEstimate(string Group, LiftArm Treated, LiftArm HeldOut)
{
    public const int MinContactsPerArm = 30;

    public bool Measurable => Treated.Contacts > 0 && HeldOut.Contacts > 0;
    public double? Lift => Measurable ? Treated.Rate - HeldOut.Rate : null;
    public Interval? LiftInterval => Measurable ? LiftMath.Difference(Treated.Converted, Treated.Contacts, HeldOut.Converted, HeldOut.Contacts) : null;
    public double? RelativeLift => Measurable && HeldOut.Converted > 0 ? Treated.Rate / HeldOut.Rate - 1 : null;
    public Interval? RelativeInterval => Measurable ? LiftMath.Relative(Treated.Converted, Treated.Contacts, HeldOut.Converted, HeldOut.Contacts) : null;
    /// <summary>Conversions the treated arm had beyond what its size would have had at the held-out rate.</summary>
    public double? IncrementalConversions => Lift * Treated.Contacts;
    public double? IncrementalOrders => Measurable ? Treated.Orders - (double)HeldOut.Orders * Treated.Contacts / HeldOut.Contacts : null;
    public double? IncrementalRevenueCents => Measurable ? Treated.RevenueCents - (double)HeldOut.RevenueCents * Treated.Contacts / HeldOut.Contacts : null;
    public double? MessagesPerIncrementalConversion => IncrementalConversions is > 0 and var inc ? Treated.MessagesSent / inc : null;

    public bool TooSmallToTell => !Measurable || Treated.Contacts < MinContactsPerArm || HeldOut.Contacts < MinContactsPerArm || LiftInterval!.Value.SpansZero;

    public string Verdict =>
        !Measurable ? (HeldOut.Contacts == 0 ? "Too small to tell: no held-out contacts" : "Too small to tell: no treated contacts")
        : Treated.Contacts < MinContactsPerArm || HeldOut.Contacts < MinContactsPerArm ? $"Too small to tell: fewer than {MinContactsPerArm} contacts in an arm"
        : LiftInterval!.Value.SpansZero ? "Too small to tell: the interval includes zero"
        : LiftInterval.Value.Low > 0 ? "Adds conversions" : "Costs conversions";
}

/// <summary>One nudge row of the range as the lift analysis sees it.</summary>
public sealed record LiftNudge(string Group, bool HeldOut, int ContactId, DateTime CreatedAt, bool Sent);

/// <summary>An order of a contact who had a nudge in the range (bookkeeping rows: they survive an erasure).</summary>
public sealed record LiftOrder(int Id, int ContactId, DateTime PlacedAt, long TotalCents);

/// <summary>
/// Counts both arms the same way: a contact converts when they placed an order within the attribution window
/// (<c>Attribution:WindowDays</c>) after the creation of any of their nudges of the group; clicks and attribution
/// play no part, because a held-out contact has nothing to click. The unit is the contact: a contact nudged twice
/// by one rule counts once (their windows are merged), so the arms compare people, not messages.
/// </summary>
public static class LiftCalculator
{
    public static IReadOnlyList<LiftEstimate> Estimate(IReadOnlyList<LiftNudge> nudges, IReadOnlyList<LiftOrder> orders, TimeSpan window,
        IReadOnlyList<string> groupOrder)
    {
        var ordersByContact = orders.ToLookup(o => o.ContactId);
        var estimates = new List<LiftEstimate>();
        foreach (var group in groupOrder)
        {
            var ofGroup = nudges.Where(n => n.Group == group).ToList();
            estimates.Add(new LiftEstimate(group, Arm(ofGroup.Where(n => !n.HeldOut), ordersByContact, window), Arm(ofGroup.Where(n => n.HeldOut), ordersByContact, window)));
        }
        return estimates;
    }

    /// <summary>Several groups as one (all campaigns): arms add up, each contact still counted once per arm.</summary>
    public static LiftEstimate Pooled(string name, IReadOnlyList<LiftNudge> nudges, IReadOnlyList<LiftOrder> orders, TimeSpan window)
    {
        var ordersByContact = orders.ToLookup(o => o.ContactId);
        return new LiftEstimate(name, Arm(nudges.Where(n => !n.HeldOut), ordersByContact, window), Arm(nudges.Where(n => n.HeldOut), ordersByContact, window));
    }

    private static LiftArm Arm(IEnumerable<LiftNudge> nudges, ILookup<int, LiftOrder> ordersByContact, TimeSpan window)
    {
        int contacts = 0, converted = 0, orderCount = 0, sent = 0;
        long revenue = 0;
        foreach (var contact in nudges.GroupBy(n => n.ContactId))
        {
            contacts++;
            sent += contact.Count(n => n.Sent);
            var windows = contact.Select(n => (From: n.CreatedAt, To: n.CreatedAt + window)).ToList();
            var within = ordersByContact[contact.Key].Where(o => windows.Any(w => o.PlacedAt >= w.From && o.PlacedAt <= w.To)).ToList();
            if (within.Count == 0) continue;
            converted++;
            orderCount += within.Count;
            revenue += within.Sum(o => o.TotalCents);
        }
        return new LiftArm(contacts, converted, orderCount, revenue, sent);
    }
}

/// <summary>The lift section's table: one source for the page and <c>/analytics/export/lift.csv</c>.</summary>
public static class LiftSection
{
    public const string TableId = "lift";
    public const string BlastLabel = "Blast to every opted-in contact (estimate)";

    public static readonly IReadOnlyList<string> Columns =
    [
        "Nudge", "Treated contacts", "Held-out contacts", "Treated conversions", "Held-out conversions",
        "Treated rate (%)", "Held-out rate (%)", "Lift (points)", "Lift 95% CI low (points)", "Lift 95% CI high (points)",
        "Relative lift (%)", "Relative lift 95% CI low (%)", "Relative lift 95% CI high (%)",
        "Incremental conversions", "Incremental orders", "Incremental revenue (€)", "Messages sent", "Messages per incremental conversion", "Verdict",
    ];

    public static readonly IReadOnlyList<(string Kind, string Label)> Rules =
    [
        (NudgeKinds.CartRescue, "Cart rescue"), (NudgeKinds.InterestDiscount, "Interest discount"), (NudgeKinds.VipUpgrade, "VIP upgrade"),
    ];

    /// <param name="optedInContacts">Who a blast would message: one message each.</param>
    public static AnalyticsTable Table(IReadOnlyList<LiftEstimate> groups, LiftEstimate allCampaigns, int optedInContacts)
    {
        var rows = groups.Select(Row).ToList();
        rows.Add(Row(allCampaigns));
        rows.Add(BlastRow(allCampaigns, optedInContacts));
        return new AnalyticsTable(TableId, "Incremental lift over the control groups", Columns, rows);
    }

    private static IReadOnlyList<string> Row(LiftEstimate e)
    {
        var ci = e.LiftInterval;
        var rel = e.RelativeInterval;
        return
        [
            e.Group, Count(e.Treated.Contacts), Count(e.HeldOut.Contacts), Count(e.Treated.Converted), Count(e.HeldOut.Converted),
            Percent(e.Treated.Rate), Percent(e.HeldOut.Rate), Points(e.Lift), Points(ci?.Low), Points(ci?.High),
            Points(e.RelativeLift), Points(rel?.Low), Points(rel?.High),
            Decimal(e.IncrementalConversions), Decimal(e.IncrementalOrders), e.IncrementalRevenueCents is { } cents ? Money((long)Math.Round(cents)) : "",
            Count(e.Treated.MessagesSent), Decimal(e.MessagesPerIncrementalConversion), e.Verdict,
        ];
    }

    /// <summary>
    /// A blast messages every opted-in contact once. Its effect is estimated from the campaigns' pooled holdouts (a
    /// campaign is a broadcast to a segment, the closest measured thing to a blast): incremental conversions =
    /// contacts × the campaigns' lift; its verdict is theirs.
    /// </summary>
    private static IReadOnlyList<string> BlastRow(LiftEstimate campaigns, int optedIn)
    {
        var lift = campaigns.Lift;
        var ci = campaigns.LiftInterval;
        double? incremental = lift * optedIn;
        return
        [
            BlastLabel, Count(optedIn), "", "", "", "", "", Points(lift), Points(ci?.Low), Points(ci?.High),
            Points(campaigns.RelativeLift), Points(campaigns.RelativeInterval?.Low), Points(campaigns.RelativeInterval?.High),
            Decimal(incremental), "", "", Count(optedIn), Decimal(incremental is > 0 ? optedIn / incremental : null),
            campaigns.Measurable ? campaigns.Verdict : "Too small to tell: no campaign with a holdout in the range",
        ];
    }

    /// <summary>A share as percentage points (0.062 → 6.2), one decimal.</summary>
    private static string Points(double? ratio) => ratio is { } r ? Decimal1(r * 100) : "";

    private static string Decimal(double? value) => value is { } v ? Decimal1(v) : "";
}
