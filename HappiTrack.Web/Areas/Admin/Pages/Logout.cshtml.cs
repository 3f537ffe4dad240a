using HappiTrack.Web.Features.Admin;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages;

/// <summary>Sign-out is POST-only (with antiforgery) so a link or an image cannot end someone's session.</summary>
/// <remarks>
/// Deleting the cookie only helps an honest browser: a copy of the cookie (a shared machine, a proxy
/// log) would stay valid for its sliding 8 hours. Changing the security stamp makes every copy fail
/// its next stamp check (within <see cref="IdentitySetup.SecurityStampValidationInterval"/>); the
/// price is that signing out ends the user's sessions on their other devices too.
/// </remarks>
public sealed class LogoutModel(SignInManager<IdentityUser> signIn, UserManager<IdentityUser> users, ILogger<LogoutModel> logger) : PageModel
{
    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync()
    {
        if (User.Identity?.IsAuthenticated == true)
        {
            if (await users.GetUserAsync(User) is { } user) await users.UpdateSecurityStampAsync(user);
            logger.LogInformation("Signed out {Email}", EmailMask.Mask(User.Identity.Name));
        }
        await signIn.SignOutAsync();
        TempData["Status"] = "You are signed out.";
        return RedirectToPage("/Login", new { area = "Admin" });
    }
}
