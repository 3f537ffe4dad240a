using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Tracking;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Pages;

public class ProductModel(CatalogQueries catalog, CartService cart, DealCalendar deals) : PageModel
{
    public ProductDetails Product { get; private set; } = null!;
    /// <summary>Today's price: the deal price, its was-price and the 30-day low while the product is the Deal of the Day.</summary>
    public ShownPrice Price { get; private set; } = null!;
    public int Quantity { get; private set; } = 1;

    public async Task<IActionResult> OnGetAsync(string slug, CancellationToken ct)
    {
        var product = await catalog.FindBySlugAsync(slug, ct);
        if (product is null) return NotFound();
        Product = product;
        Price = await deals.PriceAsync(product.Id, product.PriceCents, ct);
        return Page();
    }

    /// <summary>Only the quantity is read from the form; the product is the one in the URL and its price is the catalog's.</summary>
    public async Task<IActionResult> OnPostAsync(string slug, int? quantity, CancellationToken ct)
    {
        var product = await catalog.FindBySlugAsync(slug, ct);
        if (product is null) return NotFound();
        Product = product;
        Price = await deals.PriceAsync(product.Id, product.PriceCents, ct);

        var result = await cart.AddAsync(HttpContext.GetOrIssueVisitorId(), product.Id, quantity, ct);
        if (!result.Succeeded)
        {
            ModelState.AddModelError(result.Field ?? "", result.Error!);
            Quantity = quantity is >= 1 and <= 99 ? quantity.Value : 1;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        return Redirect($"/product/{product.Slug}#cart-drawer");
    }
}
