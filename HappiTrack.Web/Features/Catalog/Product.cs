using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Catalog;

public sealed class Category
{
    public int Id { get; set; }
    /// <summary>Trusty's catalogue is site 1; another site's categories, tags and products are its own (issue 20).</summary>
    public int SiteId { get; set; } = SiteIds.Trusty;
    public required string Slug { get; set; }
    public required string Name { get; set; }
}

/// <summary>A tag is a facet of interest: brand, category, price band or aesthetic.</summary>
public sealed class Tag
{
    public int Id { get; set; }
    public int SiteId { get; set; } = SiteIds.Trusty;
    public required string Slug { get; set; }
    public required string Name { get; set; }
    public required TagKind Kind { get; set; }
}

public enum TagKind { Brand = 0, Category = 1, PriceBand = 2, Aesthetic = 3 }

public sealed class Product
{
    public int Id { get; set; }
    /// <summary>Products of another site are created on first sight by its commerce events; the slug is unique per site.</summary>
    public int SiteId { get; set; } = SiteIds.Trusty;
    /// <summary>The product's page on another site's own shop (absolute http(s)); null for Trusty's products.</summary>
    public string? ExternalUrl { get; set; }
    /// <summary>The product's image on another site's shop (absolute http(s)); Trusty's images are <see cref="ImagePath"/>.</summary>
    public string? ExternalImageUrl { get; set; }
    public required string Slug { get; set; }
    public required string Name { get; set; }
    public required string Brand { get; set; }
    public required string Summary { get; set; }
    /// <summary>Minor units (cents) so that sums stay exact in every database provider.</summary>
    public long PriceCents { get; set; }
    public int CategoryId { get; set; }
    public Category Category { get; set; } = null!;
    public bool IsFeatured { get; set; }
    public string ImagePath => $"/img/products/{Slug}.svg";
    public List<ProductSpec> Specs { get; set; } = [];
    public List<Tag> Tags { get; set; } = [];
}

public sealed class ProductSpec
{
    public int Id { get; set; }
    public int ProductId { get; set; }
    public required string Name { get; set; }
    public required string Value { get; set; }
    public int SortOrder { get; set; }
}

internal sealed class CategoryConfiguration : IEntityTypeConfiguration<Category>
{
    public void Configure(EntityTypeBuilder<Category> b)
    {
        b.Property(c => c.Slug).HasMaxLength(64);
        b.Property(c => c.Name).HasMaxLength(100);
        b.Property(c => c.SiteId).HasDefaultValue(SiteIds.Trusty);
        b.HasIndex(c => new { c.SiteId, c.Slug }).IsUnique();
    }
}

internal sealed class TagConfiguration : IEntityTypeConfiguration<Tag>
{
    public void Configure(EntityTypeBuilder<Tag> b)
    {
        b.Property(t => t.Slug).HasMaxLength(64);
        b.Property(t => t.Name).HasMaxLength(100);
        b.Property(t => t.SiteId).HasDefaultValue(SiteIds.Trusty);
        b.HasIndex(t => new { t.SiteId, t.Slug }).IsUnique();
    }
}

internal sealed class ProductConfiguration : IEntityTypeConfiguration<Product>
{
    public void Configure(EntityTypeBuilder<Product> b)
    {
        b.Property(p => p.Slug).HasMaxLength(96);
        b.Property(p => p.Name).HasMaxLength(200);
        b.Property(p => p.Brand).HasMaxLength(100);
        b.Property(p => p.Summary).HasMaxLength(2000);
        b.Property(p => p.SiteId).HasDefaultValue(SiteIds.Trusty);
        b.HasIndex(p => new { p.SiteId, p.Slug }).IsUnique();
        b.Property(p => p.ExternalUrl).HasMaxLength(1000);
        b.Property(p => p.ExternalImageUrl).HasMaxLength(1000);
        b.Ignore(p => p.ImagePath);
        b.HasMany(p => p.Specs).WithOne().HasForeignKey(s => s.ProductId).OnDelete(DeleteBehavior.Cascade);
        b.HasMany(p => p.Tags).WithMany().UsingEntity("ProductTags");
    }
}

internal sealed class ProductSpecConfiguration : IEntityTypeConfiguration<ProductSpec>
{
    public void Configure(EntityTypeBuilder<ProductSpec> b)
    {
        b.Property(s => s.Name).HasMaxLength(100);
        b.Property(s => s.Value).HasMaxLength(500);
    }
}
