using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Cart;

/// <summary>A placed order. Lines keep the name and price as charged, whatever the catalog says later.</summary>
public sealed class Order
{
    public int Id { get; set; }
    /// <summary>Shown in URLs instead of the sequential id, so order numbers cannot be enumerated.</summary>
    public required string PublicId { get; set; }
    /// <summary>The shop the order was placed in; <see cref="SiteIds.Trusty"/> for our own checkout.</summary>
    public int SiteId { get; set; } = SiteIds.Trusty;
    /// <summary>The shop's own order id, for orders reported by another site's server (unique per site).</summary>
    public string? ExternalId { get; set; }
    /// <summary>Set when the shop reported the order cancelled.</summary>
    public DateTime? CancelledAt { get; set; }
    public required string VisitorId { get; set; }
    public int? ContactId { get; set; }
    public required string CustomerName { get; set; }
    /// <summary>E.164 as typed at checkout; it does not by itself link the order to a contact.</summary>
    public required string Phone { get; set; }
    public bool WhatsAppOptIn { get; set; }
    public long SubtotalCents { get; set; }
    public long DiscountCents { get; set; }
    public long TotalCents { get; set; }
    public int? DiscountTokenId { get; set; }
    /// <summary>The nudge whose link was clicked within the attribution window before this order.</summary>
    public int? AttributedNudgeId { get; set; }
    public DateTime PlacedAt { get; set; }
    public List<OrderLine> Lines { get; set; } = [];

    /// <summary>
    /// The short number a customer reads out on the phone ("HT-1042"). It is derived from the database id
    /// rather than stored, so it needs no migration and is unique for free; the unguessable
    /// <see cref="PublicId"/> stays the only key a browser can use to open the order.
    /// </summary>
    public string Number => FormatNumber(Id);

    public static string FormatNumber(int id) => $"HT-{id + NumberOffset}";

    // Starts customer-facing numbers at four digits, so the first order does not read as "HT-1".
    private const int NumberOffset = 1000;
}

public sealed class OrderLine
{
    public int Id { get; set; }
    public int OrderId { get; set; }
    public int ProductId { get; set; }
    public required string ProductSlug { get; set; }
    public required string ProductName { get; set; }
    public long UnitPriceCents { get; set; }
    public int Quantity { get; set; }
    public long LineTotalCents { get; set; }
}

internal sealed class OrderConfiguration : IEntityTypeConfiguration<Order>
{
    public void Configure(EntityTypeBuilder<Order> b)
    {
        b.Property(o => o.PublicId).HasMaxLength(32);
        b.Property(o => o.VisitorId).HasMaxLength(32);
        b.Property(o => o.CustomerName).HasMaxLength(100);
        b.Property(o => o.Phone).HasMaxLength(20);
        b.HasIndex(o => o.PublicId).IsUnique();
        b.HasIndex(o => new { o.ContactId, o.PlacedAt });
        b.HasIndex(o => o.PlacedAt);
        b.HasIndex(o => o.VisitorId);
        b.Property(o => o.SiteId).HasDefaultValue(SiteIds.Trusty);
        b.Property(o => o.ExternalId).HasMaxLength(64);
        b.HasIndex(o => new { o.SiteId, o.ExternalId }).IsUnique();
        b.HasIndex(o => new { o.SiteId, o.PlacedAt });
        b.HasMany(o => o.Lines).WithOne().HasForeignKey(l => l.OrderId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class OrderLineConfiguration : IEntityTypeConfiguration<OrderLine>
{
    public void Configure(EntityTypeBuilder<OrderLine> b)
    {
        b.Property(l => l.ProductSlug).HasMaxLength(96);
        b.Property(l => l.ProductName).HasMaxLength(200);
        b.HasIndex(l => l.ProductId);
    }
}
