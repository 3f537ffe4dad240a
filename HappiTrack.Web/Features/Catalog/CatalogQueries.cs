using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Catalog;

public sealed record ProductCard(int Id, string Slug, string Name, string Brand, string Summary, long PriceCents, string CategorySlug, string CategoryName)
{
    public string ImagePath => $"/img/products/{Slug}.svg";
}

public sealed record TagChip(string Slug, string Name, TagKind Kind);

public sealed record ProductDetails(
    int Id, string Slug, string Name, string Brand, string Summary, long PriceCents,
    string CategorySlug, string CategoryName, bool IsFeatured,
    IReadOnlyList<(string Name, string Value)> Specs, IReadOnlyList<TagChip> Tags)
{
    public string ImagePath => $"/img/products/{Slug}.svg";
}

public sealed record CatalogFilter(string? Query, string? Category, string? Tag, string? Sort)
{
    public const int MaxQueryLength = 80;
    public bool IsActive => !string.IsNullOrEmpty(Query) || !string.IsNullOrEmpty(Category) || !string.IsNullOrEmpty(Tag);

    /// <summary>Trims and bounds what a browser sent; slugs that are not slugs are dropped rather than searched for.</summary>
    public static CatalogFilter From(string? query, string? category, string? tag, string? sort)
    {
        var q = query?.Trim();
        if (q is { Length: > MaxQueryLength }) q = q[..MaxQueryLength];
        return new CatalogFilter(
            string.IsNullOrEmpty(q) ? null : q,
            Slugs.IsSlug(category) ? category : null,
            Slugs.IsSlug(tag) ? tag : null,
            sort is "price-asc" or "price-desc" or "name" ? sort : null);
    }
}

/// <summary>Read-only catalog queries for the storefront pages; projections, no tracking.</summary>
public sealed class CatalogQueries(AppDbContext db, DealCalendar deals)
{
    // The storefront is Trusty's: another site's products (issue 20) are never shown or sold here.
    private IQueryable<Product> TrustyProducts => db.Products.AsNoTracking().Where(p => p.SiteId == SiteIds.Trusty);

    public async Task<ProductDetails?> FindBySlugAsync(string slug, CancellationToken ct = default)
    {
        if (!Slugs.IsSlug(slug)) return null;
        var product = await TrustyProducts
            .Include(p => p.Category).Include(p => p.Specs).Include(p => p.Tags)
            .AsSplitQuery()
            .FirstOrDefaultAsync(p => p.Slug == slug, ct);
        return product is null ? null : ToDetails(product);
    }

    /// <summary>
    /// The Featured Deal of the Day: one product per shop day (the shop's time zone, not UTC, so the deal
    /// changes at the shop's midnight), the same for every visitor and every request that day.
    /// </summary>
    public async Task<ProductDetails?> FeaturedAsync(CancellationToken ct = default)
    {
        if (await deals.TodayAsync(ct) is not { } deal) return null;
        var product = await db.Products.AsNoTracking()
            .Include(p => p.Category).Include(p => p.Specs).Include(p => p.Tags)
            .AsSplitQuery()
            .FirstAsync(p => p.Id == deal.ProductId, ct);
        return ToDetails(product);
    }

    public async Task<IReadOnlyList<ProductCard>> SearchAsync(CatalogFilter filter, CancellationToken ct = default)
    {
        var products = TrustyProducts;
        if (filter.Category is { } category)
            products = products.Where(p => p.Category.Slug == category);
        if (filter.Tag is { } tag)
            products = products.Where(p => p.Tags.Any(t => t.Slug == tag));
        if (filter.Query is { } query)
        {
            // ToLower on both sides keeps the search case-insensitive on SQLite and PostgreSQL alike; the term is a parameter.
            var term = query.ToLowerInvariant();
            products = products.Where(p =>
                p.Name.ToLower().Contains(term) || p.Brand.ToLower().Contains(term) ||
                p.Summary.ToLower().Contains(term) || p.Tags.Any(t => t.Name.ToLower().Contains(term)));
        }
        products = filter.Sort switch
        {
            "price-asc" => products.OrderBy(p => p.PriceCents).ThenBy(p => p.Name),
            "price-desc" => products.OrderByDescending(p => p.PriceCents).ThenBy(p => p.Name),
            "name" => products.OrderBy(p => p.Name),
            _ => products.OrderByDescending(p => p.IsFeatured).ThenBy(p => p.Category.Name).ThenBy(p => p.Name),
        };
        return await products
            .Select(p => new ProductCard(p.Id, p.Slug, p.Name, p.Brand, p.Summary, p.PriceCents, p.Category.Slug, p.Category.Name))
            .ToListAsync(ct);
    }

    public async Task<IReadOnlyList<Category>> CategoriesAsync(CancellationToken ct = default) =>
        await db.Categories.AsNoTracking().Where(c => c.SiteId == SiteIds.Trusty).OrderBy(c => c.Name).ToListAsync(ct);

    /// <summary>Aesthetic and price-band tags: the facets worth a filter chip (brands and categories have their own nav).</summary>
    public async Task<IReadOnlyList<TagChip>> FilterTagsAsync(CancellationToken ct = default) =>
        await db.Tags.AsNoTracking()
            .Where(t => t.SiteId == SiteIds.Trusty && (t.Kind == TagKind.Aesthetic || t.Kind == TagKind.PriceBand))
            .OrderBy(t => t.Kind).ThenBy(t => t.Name)
            .Select(t => new TagChip(t.Slug, t.Name, t.Kind))
            .ToListAsync(ct);

    private static ProductDetails ToDetails(Product p) => new(
        p.Id, p.Slug, p.Name, p.Brand, p.Summary, p.PriceCents, p.Category.Slug, p.Category.Name, p.IsFeatured,
        p.Specs.OrderBy(s => s.SortOrder).Select(s => (s.Name, s.Value)).ToList(),
        p.Tags.OrderBy(t => t.Kind).ThenBy(t => t.Name).Select(t => new TagChip(t.Slug, t.Name, t.Kind)).ToList());
}
