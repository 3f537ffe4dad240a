using System.Buffers.Text;
using System.Text.Json;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Features.Tokens;
using HappiTrack.Web.Features.Tracking;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Nudges;

/// <summary>
/// <c>GET /r/{code}</c>, the tracked link in every nudge. Like <c>?ht=</c> it proves who the
/// browser belongs to (only the contact received it), so it links the visitor to the nudge's
/// contact; it records the click, restores a rescued cart into this browser's cart (even a fresh
/// one), remembers the offer for checkout and redirects. Unknown codes get the friendly 404 page.
/// </summary>
public static class NudgeLinks
{
    /// <summary>Carries the offer to checkout when the link lands on a product page first.</summary>
    public const string OfferCookie = "ht_offer";

    public static IEndpointRouteBuilder MapNudgeLinks(this IEndpointRouteBuilder app)
    {
        app.MapGet("/r/{code}", FollowAsync).ExcludeFromDescription();
        return app;
    }

    private static async Task<Results<RedirectHttpResult, NotFound>> FollowAsync(
        string code, HttpContext http, AppDbContext db, VisitorLinker linker, TimeProvider clock, IProjectEventsTrigger projectEvents,
        IRescuedCartDestinations otherShops, CancellationToken ct)
    {
        if (code.Length != 22 || !Base64Url.IsValid(code)) return TypedResults.NotFound();
        var nudge = await db.Set<Nudge>().Include(n => n.Token).FirstOrDefaultAsync(n => n.Code == code, ct);
        if (nudge is null) return TypedResults.NotFound();

        if (nudge.Kind == NudgeKinds.CartRescue && nudge.CartSnapshot is not null
            && await otherShops.FindAsync(nudge, clock.GetUtcNow().UtcDateTime, ct) is { } elsewhere)
            return await FollowToOtherShopAsync(http, db, nudge, elsewhere, clock, ct);
        // An interest offer on another shop's product: the shopper goes to that product on the shop, not to Trusty's page.
        if (await OtherShopProductUrlAsync(db, nudge, ct) is { } shopProduct)
            return await FollowToOtherShopAsync(http, db, nudge, new RescuedCartDestination(shopProduct, shopProduct), clock, ct);

        // Chat apps fetch the link to draw a preview as soon as the message arrives: that fetch is not
        // the contact. It gets the landing page only, no click, no visitor link, no offer (and no token in the URL).
        if (BotDetector.IsBot(http.Request.Headers.UserAgent))
            return TypedResults.Redirect(await ProductPathAsync(db, nudge, ct) ?? "/checkout");

        var now = clock.GetUtcNow().UtcDateTime;
        // Linked under the one rule (VisitorLinker): what this browser had stays with its old visitor, so a
        // rescued cart is restored only into a visitor of the nudge's own contact.
        var visitorId = await linker.LinkBrowserAsync(http, nudge.ContactId, LinkProof.NudgeLink, now, ct)
            ?? throw new InvalidOperationException("A nudge link always links the browser.");
        nudge.RecordClick(now);
        if (nudge.Kind == NudgeKinds.CartRescue && nudge.CartSnapshot is not null)
            await RestoreCartAsync(db, visitorId, nudge.CartSnapshot, now, ct);
        await db.SaveChangesAsync(ct);
        projectEvents.EventsWritten();

        var liveToken = nudge.TokenValue is not null && nudge.Token is { RedeemedAt: null } token && token.ExpiresAt > now
            ? nudge.TokenValue : null;
        if (liveToken is not null)
        {
            http.Response.Cookies.Append(OfferCookie, liveToken, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = http.Request.IsHttps,
                Path = "/",
                // Relative, so a browser whose clock is off still keeps the offer exactly as long as the token lives.
                MaxAge = nudge.Token!.ExpiresAt - now,
            });
        }

        if (await ProductPathAsync(db, nudge, ct) is { } productPath) return TypedResults.Redirect(productPath);
        return TypedResults.Redirect(liveToken is null ? "/checkout" : $"/checkout?token={Uri.EscapeDataString(liveToken)}");
    }

    /// <summary>
    /// A cart or product of another shop: the click counts (attribution, the funnel) but nothing of Trusty's is touched — no
    /// visitor cookie or link on our domain (the shop keeps its own visitor id), no cart restored here, no offer cookie.
    /// </summary>
    private static async Task<RedirectHttpResult> FollowToOtherShopAsync(
        HttpContext http, AppDbContext db, Nudge nudge, RescuedCartDestination destination, TimeProvider clock, CancellationToken ct)
    {
        if (BotDetector.IsBot(http.Request.Headers.UserAgent)) return TypedResults.Redirect(destination.PreviewUrl);
        nudge.RecordClick(clock.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(ct);
        // The signed payload is made for this click and lives in the URL: keep it out of caches.
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Redirect(destination.Url);
    }

    private static async Task<string?> OtherShopProductUrlAsync(AppDbContext db, Nudge nudge, CancellationToken ct)
    {
        if (nudge.Kind != NudgeKinds.InterestDiscount || nudge.ProductId is not { } productId) return null;
        var url = await db.Products.Where(p => p.Id == productId && p.SiteId != SiteIds.Trusty).Select(p => p.ExternalUrl).FirstOrDefaultAsync(ct);
        // The shop reported this URL: only a web address becomes a redirect.
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) ? uri.AbsoluteUri : null;
    }

    private static async Task<string?> ProductPathAsync(AppDbContext db, Nudge nudge, CancellationToken ct)
    {
        if (nudge.Kind != NudgeKinds.InterestDiscount || nudge.ProductId is not { } productId) return null;
        var slug = await db.Products.Where(p => p.Id == productId).Select(p => p.Slug).FirstOrDefaultAsync(ct);
        return slug is null ? null : $"/product/{Uri.EscapeDataString(slug)}";
    }

    /// <summary>Restores each saved line, keeping a larger quantity the shopper already has.</summary>
    private static async Task RestoreCartAsync(AppDbContext db, string visitorId, string snapshotJson, DateTime now, CancellationToken ct)
    {
        var snapshot = JsonSerializer.Deserialize<List<CartSnapshotLine>>(snapshotJson) ?? [];
        var cart = await db.Carts.Include(c => c.Lines).FirstOrDefaultAsync(c => c.VisitorId == visitorId, ct);
        if (cart is null)
        {
            cart = new ShoppingCart(visitorId, now);
            db.Carts.Add(cart);
        }
        var ids = snapshot.Select(l => l.ProductId).ToList();
        var existing = await db.Products.Where(p => ids.Contains(p.Id)).Select(p => p.Id).ToListAsync(ct);
        foreach (var line in snapshot.Where(l => existing.Contains(l.ProductId)))
        {
            var current = cart.Lines.FirstOrDefault(l => l.ProductId == line.ProductId);
            var quantity = Math.Clamp(line.Quantity, 1, ShoppingCart.MaxQuantity);
            try
            {
                if (current is null) cart.Add(line.ProductId, quantity, now);
                else if (current.Quantity < quantity) cart.SetQuantity(line.ProductId, quantity, now);
            }
            catch (CartRuleException)
            {
                break; // the shopper's own cart is already full; what fits was restored
            }
        }
    }
}
