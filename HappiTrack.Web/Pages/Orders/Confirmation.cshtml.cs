using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Checkout;
using HappiTrack.Web.Features.Tracking;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Pages.Orders;

public class ConfirmationModel(CheckoutService checkout) : PageModel
{
    public Order Order { get; private set; } = null!;

    /// <summary>Only the browser that placed the order sees it; anyone else gets the same 404 as a wrong id.</summary>
    public async Task<IActionResult> OnGetAsync(string publicId, CancellationToken ct)
    {
        var order = await checkout.FindOrderForVisitorAsync(publicId, HttpContext.FindVisitorId(), ct);
        if (order is null) return NotFound();
        Order = order;
        return Page();
    }
}
