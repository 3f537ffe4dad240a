using HappiTrack.Web.Features.Admin;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages;

/// <summary>Sign-out is POST-only (with antiforgery) so a link or an image cannot end someone's session.</summary>
public sealed class LogoutModel(SignInManager<IdentityUser> signIn, ILogger<LogoutModel> logger) : PageModel
{
    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync()
    {
        if (User.Identity?.IsAuthenticated == true)
            logger.LogInformation("Signed out {Email}", EmailMask.Mask(User.Identity.Name));
        await signIn.SignOutAsync();
        TempData["Status"] = "You are signed out.";
        return RedirectToPage("/Login", new { area = "Admin" });
    }
}
