namespace HappiTrack.Web.Features.Scoring;

public sealed record ScoredItem(int Id, string Slug, string Name, double Score);

/// <summary>A contact's interest at one instant, computed from decayed product and tag scores.</summary>
public sealed record InterestSummary(
    double GeneralInterestScore,
    IReadOnlyList<ScoredItem> Products,
    IReadOnlyList<ScoredItem> Tags,
    ScoredItem? MostDesiredProduct)
{
    public const int TopTagCount = 3;

    public IReadOnlyList<string> TopTags => Tags.Take(TopTagCount).Select(t => t.Slug).ToList();

    /// <summary>
    /// General Interest Score = sum of product scores; Most Desired Product = highest-scoring product
    /// not yet purchased. Scores are rounded to 2 decimals for display only after ranking.
    /// </summary>
    public static InterestSummary Compute(
        IEnumerable<ScoredItem> products, IEnumerable<ScoredItem> tags, IReadOnlySet<int> purchasedProductIds)
    {
        var rankedProducts = products.Where(p => p.Score > 0).OrderByDescending(p => p.Score).ThenBy(p => p.Id).ToList();
        var rankedTags = tags.Where(t => t.Score > 0).OrderByDescending(t => t.Score).ThenBy(t => t.Id).ToList();
        var total = rankedProducts.Sum(p => p.Score);
        var desired = rankedProducts.FirstOrDefault(p => !purchasedProductIds.Contains(p.Id));
        return new InterestSummary(Math.Round(total, 2), rankedProducts, rankedTags, desired);
    }
}
