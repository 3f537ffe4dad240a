namespace HappiTrack.Web.Features.Scoring;

/// <summary>A decaying score as stored: its value at <see cref="AsOf"/>.</summary>
public readonly record struct DecayingScore(double Value, DateTime AsOf)
{
    public static readonly DecayingScore Zero = new(0, DateTime.MinValue);

    /// <summary>The value this score has decayed to at <paramref name="at"/> (never grows back for earlier times).</summary>
    public double ValueAt(DateTime at, TimeSpan halfLife) =>
        Value == 0 || at <= AsOf ? Value : Value * ScoreMath.DecayFactor(at - AsOf, halfLife);

    /// <summary>
    /// newScore = score·2^(−Δt/halfLife) + weight. A late event (older than <see cref="AsOf"/>) adds
    /// its own decayed weight instead, so out-of-order arrival gives the same result as in-order.
    /// </summary>
    public DecayingScore Add(double weight, DateTime at, TimeSpan halfLife)
    {
        if (Value == 0 && AsOf == DateTime.MinValue) return new DecayingScore(weight, at);
        return at >= AsOf
            ? new DecayingScore(ValueAt(at, halfLife) + weight, at)
            : new DecayingScore(Value + weight * ScoreMath.DecayFactor(AsOf - at, halfLife), AsOf);
    }

    /// <summary>Two scores of the same thing (e.g. a visitor's merged into its contact's), aligned at the later time.</summary>
    public DecayingScore Merge(DecayingScore other, TimeSpan halfLife)
    {
        var at = AsOf > other.AsOf ? AsOf : other.AsOf;
        return new DecayingScore(ValueAt(at, halfLife) + other.ValueAt(at, halfLife), at);
    }
}

public static class ScoreMath
{
    public static double DecayFactor(TimeSpan elapsed, TimeSpan halfLife)
    {
        if (elapsed <= TimeSpan.Zero) return 1;
        if (halfLife <= TimeSpan.Zero) return 0;
        return Math.Pow(2, -(elapsed.TotalSeconds / halfLife.TotalSeconds));
    }

    /// <summary>True when a score goes from below the threshold to at or above it.</summary>
    public static bool Crossed(double before, double after, double threshold) => before < threshold && after >= threshold;
}

/// <summary>
/// Caps what client-sent events can add to a visitor's scores per clock hour (UTC), so a forged
/// stream cannot inflate a score. The budget is in score points, not event counts, because a
/// forged stream would pick the heaviest event type.
/// </summary>
public static class ClientBudget
{
    public static DateTime WindowStart(DateTime at) => new(at.Year, at.Month, at.Day, at.Hour, 0, 0, DateTimeKind.Utc);

    /// <summary>The part of <paramref name="weight"/> still allowed when <paramref name="used"/> points were spent this hour.</summary>
    public static double Grant(double used, double weight, double capPerHour) =>
        Math.Max(0, Math.Min(weight, capPerHour - used));
}
