using System.Text.Json;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Sites;

/// <summary>
/// A site's cart-restore URL template: where a rescued cart lands on the shop's own domain, e.g.
/// <c>https://shop.example/cart/restore?payload={payload}&amp;sig={signature}</c>.
/// </summary>
public static class SiteCartRestoreTemplate
{
    public const string Payload = "{payload}";
    public const string Signature = "{signature}";
    public const string Example = "https://shop.example/cart/restore?payload={payload}&sig={signature}";

    /// <summary>A friendly reason the template cannot be used with these origins, or null when it can (or is empty).</summary>
    public static string? Validate(string? template, IReadOnlyList<string> origins)
    {
        var text = template?.Trim() ?? "";
        if (text.Length == 0) return null;
        if (text.Length > Site.MaxTemplateLength) return $"Keep the cart-restore URL under {Site.MaxTemplateLength} characters.";
        if (Count(text, Payload) != 1 || Count(text, Signature) != 1)
            return $"The cart-restore URL must contain {Payload} and {Signature} once each, e.g. {Example}.";
        var sample = Render(text, "p", "s");
        if (!Uri.TryCreate(sample, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.UserInfo.Length > 0)
            return $"The cart-restore URL must be an absolute https:// address, e.g. {Example}.";
        if (uri.Scheme == "http" && !uri.IsLoopback)
            return "The cart-restore URL must use https:// (plain http:// only for localhost while developing).";
        if (!origins.Contains(OriginOf(uri), StringComparer.Ordinal))
            return origins.Count == 0
                ? "The cart-restore URL must be on the shop's own domain: add its origin to the allowed origins."
                : $"The cart-restore URL must be on one of the site's allowed origins ({string.Join(", ", origins)}).";
        return null;
    }

    /// <summary>The template with both values URL-escaped in place; null when it no longer fits the site (origins edited since).</summary>
    public static string? TryRender(string template, string payload, string signature, IReadOnlyList<string> origins) =>
        Validate(template, origins) is null ? Render(template, Uri.EscapeDataString(payload), Uri.EscapeDataString(signature)) : null;

    private static string Render(string template, string payload, string signature) =>
        template.Replace(Payload, payload, StringComparison.Ordinal).Replace(Signature, signature, StringComparison.Ordinal);

    private static string OriginOf(Uri uri) => uri.IsDefaultPort ? $"{uri.Scheme}://{uri.Host}" : $"{uri.Scheme}://{uri.Host}:{uri.Port}";

    private static int Count(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}

/// <summary>
/// Sends the shopper of a rescued cart back to the shop it belongs to (issue 20): the shop's cart-restore URL with
/// a signed payload made at the click, or, without a template, HappiTrack's <c>/cart-rescue/{key}</c> page listing
/// the cart with links to the shop's product pages. Trusty's carts get null and are restored as before.
/// </summary>
public sealed class SiteCartRestore(AppDbContext db, SiteSecrets secrets) : IRescuedCartDestinations
{
    /// <summary>The payload's lifetime when the nudge has no expiry of its own (the cart-rescue rule's default).</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(24);

    public static string PagePath(string key, string payload, string signature) =>
        $"/cart-rescue/{key}?payload={Uri.EscapeDataString(payload)}&signature={Uri.EscapeDataString(signature)}";

    public async Task<RescuedCartDestination?> FindAsync(Nudge nudge, DateTime now, CancellationToken ct)
    {
        var snapshot = JsonSerializer.Deserialize<List<CartSnapshotLine>>(nudge.CartSnapshot ?? "[]") ?? [];
        var ids = snapshot.Select(l => l.ProductId).ToList();
        var products = await db.Products.AsNoTracking().Where(p => ids.Contains(p.Id))
            .Select(p => new { p.Id, p.SiteId, p.Slug, p.ExternalUrl }).ToDictionaryAsync(p => p.Id, ct);
        // The products say whose cart it was: they outlive the cart row (cleared at checkout) and the visitor (erased).
        var siteId = products.Values.Select(p => p.SiteId).FirstOrDefault(id => id != SiteIds.Trusty);
        if (siteId == 0) return null;
        var site = await db.Set<Site>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == siteId, ct);
        if (site is null) return null;

        var home = site.Origins.Count > 0 ? site.Origins[0] + "/" : "/";
        var secret = site.IsRevoked ? null : secrets.Unprotect(site.ProtectedSecret);
        // A revoked site (or a secret the keys can no longer read) signs nothing: the shopper just goes to the shop.
        if (secret is null) return new RescuedCartDestination(home, home);

        var lines = snapshot.Where(l => products.TryGetValue(l.ProductId, out var p) && p.SiteId == siteId)
            .Select(l => new SiteCartPayloadLine(products[l.ProductId].Slug, l.Quantity, WebUrl(products[l.ProductId].ExternalUrl)))
            .ToList();
        // Lives as long as the rescue's own discount token (the rule's ValidHours), counted from this click.
        var lifetime = nudge.ExpiresAt is { } expires && expires > nudge.CreatedAt ? expires - nudge.CreatedAt : DefaultLifetime;
        var offer = nudge.Token is { RedeemedAt: null } token && token.ExpiresAt > now
            ? new SiteCartPayloadOffer(token.Percent, Unix(token.ExpiresAt)) : null;
        var encoded = Encode(lines, more: false);
        while (encoded.Length > SiteCartPayload.MaxChars && lines.Count > 1)
        {
            lines.RemoveAt(lines.Count - 1);
            encoded = Encode(lines, more: true);
        }
        var signature = SiteCartPayload.Sign(encoded, secret);
        var url = site.CartRestoreUrlTemplate is { } template
            ? SiteCartRestoreTemplate.TryRender(template, encoded, signature, site.Origins) : null;
        return new RescuedCartDestination(url ?? PagePath(site.Key, encoded, signature), home);

        string Encode(List<SiteCartPayloadLine> kept, bool more) => new SiteCartPayload(SiteCartPayload.CurrentVersion, site.Key, nudge.Id,
            nudge.CartVisitorId, kept, more, offer, Unix(now), Unix(now + lifetime)).Encode();
    }

    /// <summary>The site's active name, origins and the lines of a payload its secret signed; null when any of it fails.</summary>
    public async Task<VerifiedSiteCart?> VerifyAsync(string? key, string? payload, string? signature, CancellationToken ct)
    {
        if (!Site.IsWellFormedKey(key)) return null;
        var site = await db.Set<Site>().AsNoTracking().FirstOrDefaultAsync(s => s.Key == key && s.RevokedAt == null, ct);
        if (site is null || secrets.Unprotect(site.ProtectedSecret) is not { } secret) return null;
        if (SiteCartPayload.Verify(payload, signature, secret) is not { } verified || verified.Site != site.Key) return null;
        var slugs = verified.Lines.Select(l => l.Slug).ToList();
        var names = await db.Products.AsNoTracking().Where(p => p.SiteId == site.Id && slugs.Contains(p.Slug))
            .ToDictionaryAsync(p => p.Slug, p => p.Name, ct);
        return new VerifiedSiteCart(site.Name, site.Origins.Count > 0 ? site.Origins[0] + "/" : null, verified,
            verified.Lines.Select(l => new VerifiedSiteCartLine(names.GetValueOrDefault(l.Slug) ?? l.Slug, l.Quantity, WebUrl(l.Url))).ToList());
    }

    public static DateTime FromUnix(long seconds) => DateTime.UnixEpoch.AddSeconds(seconds);

    private static long Unix(DateTime utc) => (long)(utc - DateTime.UnixEpoch).TotalSeconds;

    /// <summary>Only absolute http(s) URLs become links (never <c>javascript:</c> or a relative path onto our domain).</summary>
    private static string? WebUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" ? uri.AbsoluteUri : null;
}

public sealed record VerifiedSiteCartLine(string Name, int Quantity, string? Url);

public sealed record VerifiedSiteCart(string ShopName, string? ShopUrl, SiteCartPayload Payload, IReadOnlyList<VerifiedSiteCartLine> Lines);
