
namespace HappiTrack.Web.Features.Checkout;

public static class CheckoutServiceCollectionExtensions
{
    public static IServiceCollection AddCheckout(this IServiceCollection services)
    {
        services.AddScoped<CheckoutService>();
        return services;
    }
}
