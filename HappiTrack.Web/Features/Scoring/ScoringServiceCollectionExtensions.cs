namespace HappiTrack.Web.Features.Scoring;

public static class ScoringServiceCollectionExtensions
{
    public static IServiceCollection AddScoring(this IServiceCollection services) =>
        services.AddScoped<InterestScorer>();
}
