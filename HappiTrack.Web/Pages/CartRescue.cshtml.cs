using HappiTrack.Web.Features.Sites;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Pages;

/// <summary>
/// <c>/cart-rescue/{key}</c>: a rescued cart of another shop that has no cart-restore URL of its own (issue 20), listed
/// with links to the shop's product pages. Public, but only a payload the site's secret signed is shown: a guessed
/// or edited link gets the same 404 as an unknown site, and an expired one a 410, each as a friendly page.
/// </summary>
[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
public sealed class CartRescueModel(SiteCartRestore restore, TimeProvider clock) : PageModel
{
    public VerifiedSiteCart? Cart { get; private set; }
    public bool Expired { get; private set; }

    public async Task<IActionResult> OnGetAsync(string key, string? payload, string? signature, CancellationToken ct)
    {
        Cart = await restore.VerifyAsync(key, payload, signature, ct);
        if (Cart is null) Response.StatusCode = StatusCodes.Status404NotFound;
        else if (SiteCartRestore.FromUnix(Cart.Payload.ExpiresAt) <= clock.GetUtcNow().UtcDateTime)
        {
            Expired = true;
            Response.StatusCode = StatusCodes.Status410Gone;
        }
        return Page();
    }
}
