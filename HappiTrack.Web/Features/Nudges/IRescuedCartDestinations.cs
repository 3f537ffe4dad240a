namespace HappiTrack.Web.Features.Nudges;

/// <summary>Where a clicked cart rescue of another shop sends the shopper, and where a link preview may go.</summary>
public sealed record RescuedCartDestination(string Url, string PreviewUrl);

/// <summary>
/// A cart rescued on another site (issue 20) must not be restored into Trusty's cart: the shopper goes back to
/// that shop. Sites knows the shop and its secret; Nudges cannot depend on it (Sites uses Nudges), so Sites
/// implements this and <see cref="NudgeLinks"/> asks it.
/// </summary>
public interface IRescuedCartDestinations
{
    /// <summary>Null for a cart of Trusty's own storefront (restored here as before).</summary>
    Task<RescuedCartDestination?> FindAsync(Nudge nudge, DateTime now, CancellationToken ct);
}
