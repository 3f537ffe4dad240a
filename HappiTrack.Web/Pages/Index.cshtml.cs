using HappiTrack.Web.Features.Catalog;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Pages;

public class IndexModel(CatalogQueries catalog, DealCalendar deals) : PageModel
{
    public ProductDetails? Featured { get; private set; }
    public ShownPrice? FeaturedPrice { get; private set; }
    public IReadOnlyList<ProductCard> Products { get; private set; } = [];
    public IReadOnlyList<Category> Categories { get; private set; } = [];
    public IReadOnlyList<TagChip> FilterTags { get; private set; } = [];
    public CatalogFilter Filter { get; private set; } = new(null, null, null, null);
    public string ReturnUrl => Request.Path + Request.QueryString;

    public async Task OnGetAsync(string? q, string? category, string? tag, string? sort, CancellationToken ct)
    {
        Filter = CatalogFilter.From(q, category, tag, sort);
        Featured = await catalog.FeaturedAsync(ct);
        if (Featured is not null) FeaturedPrice = await deals.PriceAsync(Featured.Id, Featured.PriceCents, ct);
        Products = await catalog.SearchAsync(Filter, ct);
        Categories = await catalog.CategoriesAsync(ct);
        FilterTags = await catalog.FilterTagsAsync(ct);
    }

    /// <summary>The current filter with one parameter changed; null removes it.</summary>
    public string FilterUrl(string? category = "", string? tag = "", string? sort = "")
    {
        var values = new List<KeyValuePair<string, string?>>();
        void Add(string key, string? requested, string? current)
        {
            var value = requested == "" ? current : requested;
            if (!string.IsNullOrEmpty(value)) values.Add(new(key, value));
        }
        Add("q", "", Filter.Query);
        Add("category", category, Filter.Category);
        Add("tag", tag, Filter.Tag);
        Add("sort", sort, Filter.Sort);
        return "/" + Microsoft.AspNetCore.Http.QueryString.Create(values);
    }
}
