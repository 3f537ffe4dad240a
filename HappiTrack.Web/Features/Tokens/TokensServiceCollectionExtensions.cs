namespace HappiTrack.Web.Features.Tokens;

public static class TokensServiceCollectionExtensions
{
    public static IServiceCollection AddTokens(this IServiceCollection services)
    {
        services.AddSingleton<ITokenRedemptionStore, EfTokenRedemptionStore>();
        services.AddScoped<TokenService>();
        return services;
    }
}
