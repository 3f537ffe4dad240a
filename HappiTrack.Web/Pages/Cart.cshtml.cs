using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Tracking;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Pages;

/// <summary>
/// The cart page, and the target of every cart form on the site (cards, drawer). Forms carry only
/// a product id and a quantity; unknown ids and bad quantities come back as messages here.
/// </summary>
public class CartModel(CartService carts) : PageModel
{
    public CartView Cart { get; private set; } = CartView.Empty;

    public async Task OnGetAsync(CancellationToken ct) =>
        Cart = await carts.GetAsync(HttpContext.FindVisitorId(), ct);

    public Task<IActionResult> OnPostAddAsync(int productId, int? quantity, string? returnUrl, CancellationToken ct) =>
        HandleAsync(visitorId => carts.AddAsync(visitorId, productId, quantity, ct), returnUrl, openDrawer: true, ct);

    public Task<IActionResult> OnPostUpdateAsync(int productId, int? quantity, string? returnUrl, CancellationToken ct) =>
        HandleAsync(visitorId => carts.SetQuantityAsync(visitorId, productId, quantity, ct), returnUrl, openDrawer: true, ct);

    public Task<IActionResult> OnPostRemoveAsync(int productId, string? returnUrl, CancellationToken ct) =>
        HandleAsync(visitorId => carts.RemoveAsync(visitorId, productId, ct), returnUrl, openDrawer: true, ct);

    private async Task<IActionResult> HandleAsync(Func<string, Task<CartResult>> change, string? returnUrl, bool openDrawer, CancellationToken ct)
    {
        var visitorId = HttpContext.GetOrIssueVisitorId();
        var result = await change(visitorId);
        if (!result.Succeeded)
        {
            ModelState.AddModelError(result.Field ?? "", result.Error!);
            Cart = await carts.GetAsync(visitorId, ct);
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        var target = !string.IsNullOrEmpty(returnUrl) && Url.IsLocalUrl(returnUrl) && !returnUrl.Contains('#') ? returnUrl : "/cart";
        // The fragment opens the drawer through CSS :target, so the feedback works without JavaScript.
        return Redirect(openDrawer && target != "/cart" ? target + "#cart-drawer" : target);
    }
}
