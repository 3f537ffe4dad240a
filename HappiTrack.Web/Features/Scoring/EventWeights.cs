using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Tracking;

namespace HappiTrack.Web.Features.Scoring;

public static class EventWeights
{
    /// <summary>
    /// The weight one event adds to its product and to each of the product's tags. The browser's
    /// add_to_cart is only a hint (weight <see cref="ScoringSettings.ClientAddToCartWeight"/>, 0 by
    /// default): the server's own add_to_cart, written by the cart in the same transaction as the
    /// change, carries the real weight, so a forged hint cannot fake intent.
    /// </summary>
    public static double For(string type, EventSource source, ScoringSettings settings)
    {
        if (type == EventTypes.AddToCart && source == EventSource.Client) return settings.ClientAddToCartWeight;
        return settings.Weights.TryGetValue(type, out var weight) ? weight : 0;
    }
}
