namespace HappiTrack.Web.Features.Cart;

public static class CartServiceCollectionExtensions
{
    public static IServiceCollection AddCart(this IServiceCollection services)
    {
        services.AddScoped<CartService>();
        return services;
    }
}
