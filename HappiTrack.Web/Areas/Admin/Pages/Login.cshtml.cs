using System.ComponentModel.DataAnnotations;
using HappiTrack.Web.Features.Admin;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages;

/// <summary>
/// Password sign-in. Every failure (unknown account, wrong password, locked, disabled) gets the same
/// message and status, and costs one password hash, so neither the text nor the timing tells an
/// attacker which accounts exist.
/// </summary>
public sealed class LoginModel(
    SignInManager<IdentityUser> signIn,
    UserManager<IdentityUser> users,
    IHostEnvironment environment,
    IAuditLog audit,
    ILogger<LoginModel> logger) : PageModel
{
    public const string FailureMessage =
        "That email and password did not work. After 5 failed attempts an account is locked for 15 minutes.";

    // Verified against when there is no real hash to check, so unknown accounts cost the same work.
    private static readonly Lazy<string> DecoyHash = new(() =>
        new PasswordHasher<IdentityUser>().HashPassword(new IdentityUser(), Convert.ToBase64String(Guid.NewGuid().ToByteArray())));

    [BindProperty]
    public LoginInput Input { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Error { get; private set; }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid)
        {
            Error = "Enter your email and password.";
            return Page();
        }

        var email = Input.Email!.Trim();
        var user = await users.FindByEmailAsync(email);
        if (user is not null && !AdminSeeder.MaySignIn(user, environment))
        {
            users.PasswordHasher.VerifyHashedPassword(user, DecoyHash.Value, Input.Password!);
            logger.LogError("Refused sign-in for the Development admin account {Email} in {Environment}", AdminSeeder.DevelopmentEmail, environment.EnvironmentName);
            return await FailedAsync(email, "refused_account");
        }
        if (user is null)
        {
            users.PasswordHasher.VerifyHashedPassword(new IdentityUser(), DecoyHash.Value, Input.Password!);
            logger.LogWarning("Failed sign-in for unknown account {Email}", EmailMask.Mask(email));
            return await FailedAsync(email, "unknown_account");
        }

        var result = await signIn.PasswordSignInAsync(user, Input.Password!, isPersistent: false, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            logger.LogInformation("Signed in {Email}", EmailMask.Mask(email));
            await audit.RecordAsAsync(user.UserName ?? email, AuditActions.SignIn, $"user:{user.Id}");
            return LocalRedirect(await LandingPageAsync(user));
        }
        if (result.IsLockedOut)
        {
            // Identity skips the hash for locked accounts; do it anyway so lockouts are not visible by timing.
            users.PasswordHasher.VerifyHashedPassword(user, DecoyHash.Value, Input.Password!);
            logger.LogWarning("Refused sign-in for locked-out account {Email}", EmailMask.Mask(email));
        }
        else
        {
            logger.LogWarning("Failed sign-in for {Email} ({Failures} consecutive failures)",
                EmailMask.Mask(email), await users.GetAccessFailedCountAsync(user));
        }
        return await FailedAsync(user.UserName ?? email, result.IsLockedOut ? "locked_out" : "wrong_password");
    }

    /// <remarks>The actor is the account name as typed, so the log shows attempts against an account; the page still says nothing.</remarks>
    private async Task<PageResult> FailedAsync(string email, string reason)
    {
        await audit.RecordAsAsync(email, AuditActions.SignInFailed, null, new { reason });
        return Failed();
    }

    private PageResult Failed()
    {
        Error = FailureMessage;
        Input.Password = null;
        return Page();
    }

    private async Task<string> LandingPageAsync(IdentityUser user)
    {
        if (!string.IsNullOrEmpty(ReturnUrl) && Url.IsLocalUrl(ReturnUrl)) return ReturnUrl;
        return await users.IsInRoleAsync(user, AuthPolicies.AdminRole) ? "/admin" : "/analytics";
    }

    public sealed class LoginInput
    {
        [Required, StringLength(256)]
        public string? Email { get; set; }

        [Required, StringLength(1024), DataType(DataType.Password)]
        public string? Password { get; set; }
    }
}
