using System.Text.Json;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Features.Tracking.Ingestion;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Cart;

/// <param name="UnitPriceCents">The price charged today: the deal price while the product is the Deal of the Day.</param>
public sealed record CartLineView(int ProductId, string Slug, string Name, string Brand, long UnitPriceCents, int Quantity)
{
    public long RegularUnitPriceCents { get; init; } = UnitPriceCents;
    public int DealPercent { get; init; }
    public bool IsDeal => UnitPriceCents < RegularUnitPriceCents;
    /// <summary>The product was the deal on a day since the cart was started and no longer is: the shopper is told, not left to notice.</summary>
    public bool DealEnded { get; init; }
    public long LineTotalCents => UnitPriceCents * Quantity;
    public string ImagePath => $"/img/products/{Slug}.svg";
}

/// <summary>
/// A cart priced from the catalog at the moment it is read, with the Deal of the Day applied. Prices are not
/// kept from the moment a product was added: a deal carried into the next shop day ends with that day, and
/// the cart line says so (<see cref="CartLineView.DealEnded"/>); checkout charges what the cart shows then.
/// </summary>
public sealed record CartView(IReadOnlyList<CartLineView> Lines)
{
    public static readonly CartView Empty = new([]);
    public bool IsEmpty => Lines.Count == 0;
    public int ItemCount => Lines.Sum(l => l.Quantity);
    public long SubtotalCents => Lines.Sum(l => l.LineTotalCents);
}

/// <summary>Either success or one message tied to the form field that caused it.</summary>
public sealed record CartResult(string? Field, string? Error)
{
    public static readonly CartResult Ok = new(null, null);
    public bool Succeeded => Error is null;
    public static CartResult Fail(string field, string error) => new(field, error);
}

/// <summary>
/// The shopper's server-side cart, keyed by the <c>ht_vid</c> visitor id. Every change writes its
/// authoritative tracking event in the same SaveChanges, so scores never depend on the browser.
/// </summary>
public sealed class CartService(AppDbContext db, TimeProvider clock, IProjectEventsTrigger projectEvents, IEventStore events, DealCalendar deals)
{
    public const string QuantityMessage = "Choose a quantity between 1 and 99.";
    public const string UnknownProductMessage = "Sorry, that product is not in our catalog.";

    private (string VisitorId, CartView View)? _cached;

    /// <summary>The priced cart; read once per request (layout and page share it) until a change.</summary>
    public async Task<CartView> GetAsync(string? visitorId, CancellationToken ct = default)
    {
        if (visitorId is null) return CartView.Empty;
        if (_cached is { } hit && hit.VisitorId == visitorId) return hit.View;

        var rows = await db.CartLines.AsNoTracking()
            .Where(l => db.Carts.Any(c => c.Id == l.CartId && c.VisitorId == visitorId))
            .OrderBy(l => l.Id)
            .Select(l => new
            {
                Line = new CartLineView(l.ProductId, l.Product.Slug, l.Product.Name, l.Product.Brand, l.Product.PriceCents, l.Quantity),
                CartCreatedAt = db.Carts.Where(c => c.Id == l.CartId).Select(c => c.CreatedAt).First(),
            })
            .ToListAsync(ct);
        var lines = new List<CartLineView>(rows.Count);
        if (rows.Count > 0)
        {
            var deal = await deals.TodayAsync(ct);
            var cartStarted = deals.ShopDayOf(rows[0].CartCreatedAt);
            foreach (var row in rows)
            {
                var line = row.Line;
                if (deal?.ProductId == line.ProductId)
                    line = line with { UnitPriceCents = deal.PriceCents(line.UnitPriceCents), RegularUnitPriceCents = line.UnitPriceCents, DealPercent = deal.Percent };
                else if (await deals.DealEndedSinceAsync(line.ProductId, cartStarted, ct))
                    line = line with { DealEnded = true };
                lines.Add(line);
            }
        }
        var view = new CartView(lines);
        _cached = (visitorId, view);
        return view;
    }

    public async Task<CartResult> AddAsync(string visitorId, int productId, int? quantity, CancellationToken ct = default)
    {
        if (quantity is not (>= 1 and <= ShoppingCart.MaxQuantity)) return CartResult.Fail("quantity", QuantityMessage);
        // The storefront cart sells Trusty's catalogue only; another site's products arrive through its own events.
        if (!await db.Products.AnyAsync(p => p.Id == productId && p.SiteId == SiteIds.Trusty, ct)) return CartResult.Fail("productId", UnknownProductMessage);

        return await WithRetryAsync(() => AddOnceAsync(visitorId, productId, quantity.Value, ct));
    }

    private async Task<CartResult> AddOnceAsync(string visitorId, int productId, int quantity, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var cart = await LoadOrCreateCartAsync(visitorId, now, ct);
        try
        {
            cart.Add(productId, quantity, now);
        }
        catch (CartRuleException e)
        {
            return CartResult.Fail("productId", e.Message);
        }
        await RecordAsync(visitorId, EventTypes.AddToCart, productId, new { qty = quantity }, now, ct);
        await db.SaveChangesAsync(ct);
        _cached = null;
        projectEvents.EventsWritten();
        return CartResult.Ok;
    }

    public async Task<CartResult> SetQuantityAsync(string visitorId, int productId, int? quantity, CancellationToken ct = default)
    {
        if (quantity is not (>= 1 and <= ShoppingCart.MaxQuantity)) return CartResult.Fail("quantity", QuantityMessage);
        return await WithRetryAsync(() => SetQuantityOnceAsync(visitorId, productId, quantity.Value, ct));
    }

    private async Task<CartResult> SetQuantityOnceAsync(string visitorId, int productId, int quantity, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var cart = await FindCartAsync(visitorId, ct);
        var line = cart?.Lines.FirstOrDefault(l => l.ProductId == productId);
        if (cart is null || line is null) return CartResult.Fail("productId", "That product is not in your cart.");

        var delta = quantity - line.Quantity;
        if (delta == 0) return CartResult.Ok;
        cart.SetQuantity(productId, quantity, now);
        // A raised quantity is more intent (add_to_cart); a lowered one is a partial removal.
        if (delta > 0) await RecordAsync(visitorId, EventTypes.AddToCart, productId, new { qty = delta }, now, ct);
        else await RecordAsync(visitorId, EventTypes.RemoveFromCart, productId, new { qty = -delta }, now, ct);
        await db.SaveChangesAsync(ct);
        _cached = null;
        return CartResult.Ok;
    }

    public Task<CartResult> RemoveAsync(string visitorId, int productId, CancellationToken ct = default) =>
        WithRetryAsync(() => RemoveOnceAsync(visitorId, productId, ct));

    private async Task<CartResult> RemoveOnceAsync(string visitorId, int productId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var cart = await FindCartAsync(visitorId, ct);
        var line = cart?.Lines.FirstOrDefault(l => l.ProductId == productId);
        if (cart is null || line is null) return CartResult.Fail("productId", "That product is not in your cart.");

        var removedQuantity = line.Quantity;
        cart.Remove(productId, now);
        await RecordAsync(visitorId, EventTypes.RemoveFromCart, productId, new { qty = removedQuantity }, now, ct);
        await db.SaveChangesAsync(ct);
        _cached = null;
        return CartResult.Ok;
    }

    /// <summary>
    /// A double-click or two tabs can change one cart at the same moment: the cart's version token (or
    /// the unique visitor/cart rows on a first write) makes the loser fail, and it retries on fresh rows.
    /// </summary>
    private async Task<CartResult> WithRetryAsync(Func<Task<CartResult>> attempt)
    {
        const int maxAttempts = 10;
        for (var attemptNumber = 1; ; attemptNumber++)
        {
            try
            {
                return await attempt();
            }
            catch (DbUpdateException) when (attemptNumber < maxAttempts)
            {
                db.ChangeTracker.Clear();
                _cached = null;
            }
        }
    }

    private Task<ShoppingCart?> FindCartAsync(string visitorId, CancellationToken ct) =>
        db.Carts.Include(c => c.Lines).FirstOrDefaultAsync(c => c.VisitorId == visitorId, ct);

    private async Task<ShoppingCart> LoadOrCreateCartAsync(string visitorId, DateTime now, CancellationToken ct)
    {
        var cart = await FindCartAsync(visitorId, ct);
        if (cart is not null) return cart;
        cart = new ShoppingCart(visitorId, now);
        db.Carts.Add(cart);
        return cart;
    }

    private async Task RecordAsync(string visitorId, string type, int productId, object data, DateTime now, CancellationToken ct)
    {
        var visitor = await ServerEvents.TouchVisitorAsync(db, events, visitorId, now, ct);
        ServerEvents.Add(db, visitor, type, now, productId, data);
    }
}

/// <summary>The visitor a server-side event is recorded for, with the contact a tracked link tied it to.</summary>
public readonly record struct ServerVisitor(string Id, int? ContactId);

/// <summary>Authoritative events written by the server's own handlers (Source = Server).</summary>
public static class ServerEvents
{
    /// <summary>
    /// The visitor row for this cookie, created on its first server-side write; LastSeenAt moves to
    /// now. One atomic upsert: the tracker's writer may be inserting the same visitor at this moment,
    /// and a read-then-insert would then fail on the primary key.
    /// </summary>
    public static async Task<ServerVisitor> TouchVisitorAsync(AppDbContext db, IEventStore store, string visitorId, DateTime now, CancellationToken ct) =>
        new(visitorId, await store.TouchVisitorAsync(db, visitorId, now, ct));

    public static TrackEvent Add(AppDbContext db, ServerVisitor visitor, string type, DateTime now, int? productId = null, object? data = null)
    {
        var e = new TrackEvent
        {
            Type = type,
            VisitorId = visitor.Id,
            ContactId = visitor.ContactId,
            ProductId = productId,
            Source = EventSource.Server,
            OccurredAt = now,
            Data = data is null ? null : JsonSerializer.Serialize(data),
        };
        db.Events.Add(e);
        return e;
    }
}
