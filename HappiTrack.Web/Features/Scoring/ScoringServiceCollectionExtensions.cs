namespace HappiTrack.Web.Features.Scoring;

public static class ScoringServiceCollectionExtensions
{
    /// <summary>Scoring is arithmetic over events and settings; it has no services of its own yet.</summary>
    public static IServiceCollection AddScoring(this IServiceCollection services) => services;
}
