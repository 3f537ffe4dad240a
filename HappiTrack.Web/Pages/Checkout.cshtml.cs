using System.ComponentModel.DataAnnotations;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Checkout;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Tracking;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Pages;

public class CheckoutModel(CartService carts, CheckoutService checkout) : PageModel
{
    public const int MaxTokenLength = 128;

    [BindProperty]
    public CheckoutForm Form { get; set; } = new();

    public CartView Cart { get; private set; } = CartView.Empty;

    /// <summary>The valid discount being applied, priced by the server; null when there is none.</summary>
    public DiscountCheck? Discount { get; private set; }

    /// <summary>Set when the code would only cover deal lines that already save more: said plainly, not as an error.</summary>
    public string? DealNotice { get; private set; }

    public long TotalCents => Cart.SubtotalCents - (Discount?.DiscountCents ?? 0);

    /// <summary>The code comes from <c>?token=</c>, or from the offer a nudge link remembered for this browser.</summary>
    public async Task OnGetAsync(string? token, CancellationToken ct)
    {
        var visitorId = HttpContext.FindVisitorId();
        Cart = await carts.GetAsync(visitorId, ct);
        if (!Cart.IsEmpty) await checkout.RecordCheckoutViewAsync(visitorId!, ct);

        var trimmed = (token ?? Request.Cookies[NudgeLinks.OfferCookie])?.Trim();
        if (string.IsNullOrEmpty(trimmed)) return;
        Form.DiscountToken = trimmed.Length > MaxTokenLength ? trimmed[..MaxTokenLength] : trimmed;
        await ApplyDiscountAsync(visitorId, ct);
    }

    private async Task ApplyDiscountAsync(string? visitorId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(Form.DiscountToken) || Cart.IsEmpty) return;
        var check = await checkout.CheckDiscountTokenAsync(Form.DiscountToken, visitorId ?? "", ct);
        if (check.IsValid) Discount = check;
        else if (check.DealIsBetter) DealNotice = check.Message;
        else ModelState.AddModelError(FieldKey(CheckoutFields.DiscountToken), check.Message ?? CheckoutService.InvalidTokenMessage);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var visitorId = HttpContext.GetOrIssueVisitorId();
        // Attribute checks (lengths) run first so oversized input never reaches the service.
        if (ModelState.IsValid)
        {
            var result = await checkout.PlaceOrderAsync(visitorId,
                new CheckoutRequest(Form.Name, Form.Phone, Form.WhatsAppOptIn, Form.DiscountToken, Form.ShownSubtotalCents), ct);
            if (result.Succeeded)
            {
                Response.Cookies.Delete(NudgeLinks.OfferCookie);
                return Redirect($"/orders/{result.Order!.PublicId}");
            }
            foreach (var (field, message) in result.Errors) ModelState.AddModelError(FieldKey(field), message);
        }
        Cart = await carts.GetAsync(visitorId, ct);
        if (ModelState[FieldKey(CheckoutFields.DiscountToken)]?.Errors.Count is null or 0 && !string.IsNullOrEmpty(Form.DiscountToken))
        {
            var check = await checkout.CheckDiscountTokenAsync(Form.DiscountToken, visitorId, ct);
            if (check.IsValid) Discount = check;
            else if (check.DealIsBetter) DealNotice = check.Message;
        }
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    /// <summary>Drops the discount code but keeps what the shopper typed, without placing the order.</summary>
    public async Task<IActionResult> OnPostRemoveTokenAsync(CancellationToken ct)
    {
        ModelState.Clear();
        Form.DiscountToken = null;
        Response.Cookies.Delete(NudgeLinks.OfferCookie);
        Cart = await carts.GetAsync(HttpContext.FindVisitorId(), ct);
        return Page();
    }

    private static string FieldKey(string field) => field == CheckoutFields.Cart ? "" : $"{nameof(Form)}.{field}";

    public sealed class CheckoutForm
    {
        [Display(Name = "Full name")]
        [StringLength(CheckoutService.MaxNameLength, ErrorMessage = "Please keep your name under 100 characters.")]
        public string? Name { get; set; }

        [Display(Name = "Phone number")]
        [StringLength(32, ErrorMessage = "That phone number is too long.")]
        public string? Phone { get; set; }

        public bool WhatsAppOptIn { get; set; }

        [Display(Name = "Discount code")]
        [StringLength(MaxTokenLength, ErrorMessage = "This discount code is not valid.")]
        public string? DiscountToken { get; set; }

        /// <summary>The subtotal the page showed (a hidden field); only ever compared, never charged.</summary>
        public long? ShownSubtotalCents { get; set; }
    }
}
