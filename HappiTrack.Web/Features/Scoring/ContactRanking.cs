namespace HappiTrack.Web.Features.Scoring;

/// <summary>
/// A contact's General Interest Score as of <c>Contact.InterestAsOf</c>. Every score decays with the same
/// half-life, so ordering by <c>Contact.InterestRank</c> = log2(score) + (asOf − epoch)/halfLife is
/// ordering by the score at any later instant, and "score now ≥ m" is "rank ≥ log2(m) + (now − epoch)/halfLife":
/// both use one index and need no rewrite as time passes.
/// </summary>
public static class ContactRanking
{
    public static readonly DateTime RankEpoch = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static double? Rank(double score, DateTime asOf, TimeSpan halfLife) =>
        score > 0 ? Math.Log2(score) + (asOf - RankEpoch).TotalSeconds / halfLife.TotalSeconds : null;

    /// <summary>The smallest rank whose score at <paramref name="now"/> is at least <paramref name="minScore"/>.</summary>
    public static double RankThreshold(double minScore, DateTime now, TimeSpan halfLife) =>
        Math.Log2(minScore) + (now - RankEpoch).TotalSeconds / halfLife.TotalSeconds;

    public static double ScoreAt(double score, DateTime? asOf, DateTime now, TimeSpan halfLife) =>
        asOf is { } at ? Math.Round(new DecayingScore(score, at).ValueAt(now, halfLife), 2) : 0;
}
