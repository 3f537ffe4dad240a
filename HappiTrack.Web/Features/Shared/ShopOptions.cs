using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Shared;

/// <summary>The <c>Shop</c> section: the shop's time zone and the public base URL of the links we hand out.</summary>
public sealed class ShopOptions
{
    public const string Section = "Shop";

    /// <summary>IANA or Windows id; empty means UTC.</summary>
    public string? TimeZone { get; set; }

    /// <summary>Absolute http(s) URL; empty means the server's own listening address.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>
    /// A product slug to hold as the Featured Deal (a promotion the owner runs for a while); empty means the
    /// deal rotates every shop day. An unknown slug falls back to the rotation rather than an empty hero.
    /// </summary>
    public string? FeaturedDeal { get; set; }

    /// <summary>
    /// How much less the Featured Deal costs during its shop day, in the cart and at checkout too (1–90 %).
    /// Past deals are recomputed with today's value (the Omnibus 30-day price), so change it rarely.
    /// </summary>
    public int DealDiscountPercent { get; set; } = 15;
}

/// <summary>Fails start-up on a typo rather than sending at the wrong hours or handing out broken links.</summary>
public sealed class ShopOptionsValidator : IValidateOptions<ShopOptions>
{
    public ValidateOptionsResult Validate(string? name, ShopOptions options)
    {
        var errors = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.TimeZone) && !TimeZoneInfo.TryFindSystemTimeZoneById(options.TimeZone, out _))
            errors.Add($"Shop:TimeZone '{options.TimeZone}' is not a known time zone id.");
        if (!string.IsNullOrWhiteSpace(options.PublicBaseUrl)
            && !(Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)))
            errors.Add($"Shop:PublicBaseUrl '{options.PublicBaseUrl}' must be an absolute http or https URL.");
        if (options.DealDiscountPercent is < 1 or > 90)
            errors.Add($"Shop:DealDiscountPercent {options.DealDiscountPercent} must be between 1 and 90.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
