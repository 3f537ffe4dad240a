using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Cart;

/// <summary>
/// The visitor's server-side cart. Prices are never stored here: they are read from the catalog
/// whenever a total is shown or charged, so nothing a browser sends can change them.
/// </summary>
public sealed class ShoppingCart
{
    public const int MaxQuantity = 99;
    public const int MaxLines = 50;

    private readonly List<CartLine> _lines = [];

    public int Id { get; private set; }
    public string VisitorId { get; private set; } = null!;
    /// <summary>The shop the cart lives in; <see cref="SiteIds.Trusty"/> for our own storefront.</summary>
    public int SiteId { get; private set; } = SiteIds.Trusty;
    public DateTime CreatedAt { get; private set; }
    /// <summary>Last change by the shopper; the cart-rescue rule measures idleness from here.</summary>
    public DateTime UpdatedAt { get; private set; }
    /// <summary>Bumped by every change; a concurrency token, so two simultaneous changes cannot silently overwrite each other.</summary>
    public int Version { get; private set; }
    public IReadOnlyCollection<CartLine> Lines => _lines.AsReadOnly();

    private ShoppingCart() { }

    public ShoppingCart(string visitorId, DateTime now, int siteId = SiteIds.Trusty)
    {
        VisitorId = visitorId;
        SiteId = siteId;
        CreatedAt = now;
        UpdatedAt = now;
    }

    public bool IsEmpty => _lines.Count == 0;

    /// <summary>Adds to an existing line or creates one; the sum is capped at <see cref="MaxQuantity"/>.</summary>
    public CartLine Add(int productId, int quantity, DateTime now)
    {
        ValidateQuantity(quantity);
        var line = _lines.FirstOrDefault(l => l.ProductId == productId);
        if (line is null)
        {
            if (_lines.Count >= MaxLines) throw new CartRuleException($"A cart holds at most {MaxLines} different products.");
            line = new CartLine(productId, quantity);
            _lines.Add(line);
        }
        else
        {
            line.Quantity = Math.Min(MaxQuantity, line.Quantity + quantity);
        }
        Touch(now);
        return line;
    }

    public void SetQuantity(int productId, int quantity, DateTime now)
    {
        ValidateQuantity(quantity);
        var line = _lines.FirstOrDefault(l => l.ProductId == productId)
            ?? throw new CartRuleException("That product is not in your cart.");
        line.Quantity = quantity;
        Touch(now);
    }

    public bool Remove(int productId, DateTime now)
    {
        var removed = _lines.RemoveAll(l => l.ProductId == productId) > 0;
        if (removed) Touch(now);
        return removed;
    }

    public void Clear(DateTime now)
    {
        _lines.Clear();
        Touch(now);
    }

    private void Touch(DateTime now)
    {
        UpdatedAt = now;
        Version++;
    }

    private static void ValidateQuantity(int quantity)
    {
        if (quantity is < 1 or > MaxQuantity)
            throw new CartRuleException($"Quantity must be between 1 and {MaxQuantity}.");
    }
}

public sealed class CartLine
{
    public int Id { get; private set; }
    public int CartId { get; private set; }
    public int ProductId { get; private set; }
    public Product Product { get; private set; } = null!;
    public int Quantity { get; internal set; }

    private CartLine() { }

    internal CartLine(int productId, int quantity)
    {
        ProductId = productId;
        Quantity = quantity;
    }
}

/// <summary>A shopper asked for something the cart does not allow; shown to them as-is.</summary>
public sealed class CartRuleException(string message) : Exception(message);

internal sealed class ShoppingCartConfiguration : IEntityTypeConfiguration<ShoppingCart>
{
    public void Configure(EntityTypeBuilder<ShoppingCart> b)
    {
        b.ToTable("Carts");
        b.Property(c => c.VisitorId).HasMaxLength(32);
        b.HasIndex(c => c.VisitorId).IsUnique();
        b.HasIndex(c => c.UpdatedAt);
        b.Property(c => c.SiteId).HasDefaultValue(SiteIds.Trusty);
        b.Property(c => c.Version).IsConcurrencyToken();
        b.HasMany(c => c.Lines).WithOne().HasForeignKey(l => l.CartId).OnDelete(DeleteBehavior.Cascade);
        b.Navigation(c => c.Lines).UsePropertyAccessMode(PropertyAccessMode.Field);
    }
}

internal sealed class CartLineConfiguration : IEntityTypeConfiguration<CartLine>
{
    public void Configure(EntityTypeBuilder<CartLine> b)
    {
        b.HasIndex(l => new { l.CartId, l.ProductId }).IsUnique();
        b.HasOne(l => l.Product).WithMany().HasForeignKey(l => l.ProductId).OnDelete(DeleteBehavior.Restrict);
    }
}
