using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Analytics;

/// <summary>Funnel steps as bits, so one small integer per visitor and day holds every step reached.</summary>
[Flags]
public enum FunnelSteps
{
    None = 0,
    Visit = 1,
    ProductView = 2,
    AddToCart = 4,
    Checkout = 8,
    Purchase = 16,
}

/// <summary>
/// One row per visitor, site and shop day with the funnel steps reached that day. Distinct-visitor counts
/// over any range are then exact (OR the bits per visitor across days), which per-day totals could not give.
/// Every roll-up carries the site of its events, so a site's analytics read only its own rows (issue 20).
/// </summary>
public sealed class VisitorDayFact
{
    public DateOnly Day { get; set; }
    public int SiteId { get; set; } = SiteIds.Trusty;
    public required string VisitorId { get; set; }
    public FunnelSteps Steps { get; set; }
}

/// <summary>Per shop day, site, product and event type: events and distinct visitors. Event counts add up exactly across days.</summary>
public sealed class ProductDayStat
{
    public DateOnly Day { get; set; }
    public int SiteId { get; set; } = SiteIds.Trusty;
    public int ProductId { get; set; }
    public required string Type { get; set; }
    public int Events { get; set; }
    public int Visitors { get; set; }
}

/// <summary>
/// One row per shop day, visitor and product added to cart that day. The cart segments of a range read
/// these few rows instead of looking up every add-to-cart event in the events table.
/// </summary>
public sealed class CartAddDay
{
    public DateOnly Day { get; set; }
    public int SiteId { get; set; } = SiteIds.Trusty;
    public required string VisitorId { get; set; }
    public int ProductId { get; set; }
}

/// <summary>Per shop day, site and page path: mouse samples and the 20×20 grid counts, row-major, comma-separated.</summary>
public sealed class HeatmapDay
{
    public DateOnly Day { get; set; }
    public int SiteId { get; set; } = SiteIds.Trusty;
    public required string Path { get; set; }
    public int Samples { get; set; }
    public required string Cells { get; set; }
}

/// <summary>Where incremental maintenance stopped: the highest event id already folded into the roll-ups.</summary>
public sealed class RollupState
{
    public const int SingletonId = 1;
    public int Id { get; set; } = SingletonId;
    public long LastEventId { get; set; }
    public DateTime? RefreshedAt { get; set; }
    /// <summary>
    /// False on a database whose roll-ups were written before they had a site: the migration tagged those rows
    /// Trusty's, and the next incremental run rebuilds every day that still has its raw events (issue 20). A new
    /// state row starts true: its first run folds in every event from id 0 anyway.
    /// </summary>
    public bool RolledUpPerSite { get; set; } = true;
}

internal sealed class VisitorDayFactConfiguration : IEntityTypeConfiguration<VisitorDayFact>
{
    public void Configure(EntityTypeBuilder<VisitorDayFact> b)
    {
        b.ToTable("AnalyticsVisitorDays");
        b.HasKey(f => new { f.Day, f.SiteId, f.VisitorId });
        b.Property(f => f.SiteId).HasDefaultValue(SiteIds.Trusty);
        b.Property(f => f.VisitorId).HasMaxLength(32);
        // Covering index: a range scan (all sites) reads visitor and steps without touching the table; one site's
        // scan uses the key (day, site, visitor).
        b.HasIndex(f => new { f.Day, f.VisitorId, f.Steps });
        // Linked-contact counts probe a few visitors' activity in the range.
        b.HasIndex(f => new { f.VisitorId, f.Day });
    }
}

internal sealed class ProductDayStatConfiguration : IEntityTypeConfiguration<ProductDayStat>
{
    public void Configure(EntityTypeBuilder<ProductDayStat> b)
    {
        b.ToTable("AnalyticsProductDays");
        b.HasKey(s => new { s.Day, s.SiteId, s.ProductId, s.Type });
        b.Property(s => s.SiteId).HasDefaultValue(SiteIds.Trusty);
        b.Property(s => s.Type).HasMaxLength(32);
    }
}

internal sealed class CartAddDayConfiguration : IEntityTypeConfiguration<CartAddDay>
{
    public void Configure(EntityTypeBuilder<CartAddDay> b)
    {
        b.ToTable("AnalyticsCartAddDays");
        // The key's index covers the range scan: day first, then everything the segments read.
        b.HasKey(c => new { c.Day, c.SiteId, c.VisitorId, c.ProductId });
        b.Property(c => c.SiteId).HasDefaultValue(SiteIds.Trusty);
        b.Property(c => c.VisitorId).HasMaxLength(32);
    }
}

internal sealed class HeatmapDayConfiguration : IEntityTypeConfiguration<HeatmapDay>
{
    public void Configure(EntityTypeBuilder<HeatmapDay> b)
    {
        b.ToTable("AnalyticsHeatmapDays");
        b.HasKey(h => new { h.Day, h.SiteId, h.Path });
        b.Property(h => h.SiteId).HasDefaultValue(SiteIds.Trusty);
        b.Property(h => h.Path).HasMaxLength(512);
        b.Property(h => h.Cells).HasMaxLength(4000);
    }
}

internal sealed class RollupStateConfiguration : IEntityTypeConfiguration<RollupState>
{
    public void Configure(EntityTypeBuilder<RollupState> b)
    {
        b.ToTable("AnalyticsRollupState");
        b.Property(s => s.Id).ValueGeneratedNever();
    }
}
