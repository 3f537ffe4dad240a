using HappiTrack.Web.Features.Admin;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages.ApiTokens;

/// <summary>
/// Named bearer tokens for the admin API. A new secret is rendered once, in the response to the
/// POST that created it (no redirect, no TempData), so it is never stored anywhere but its hash.
/// </summary>
public sealed class IndexModel(ApiTokenService tokens, ILogger<IndexModel> logger) : PageModel
{
    public IReadOnlyList<ApiTokenSummary> Tokens { get; private set; } = [];

    [BindProperty]
    public string? Name { get; set; }

    public CreatedApiToken? Created { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => Tokens = await tokens.ListAsync(ct);

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken ct)
    {
        if (ApiTokenService.ValidateName(Name) is { } error)
        {
            ModelState.AddModelError(nameof(Name), error);
        }
        else
        {
            Created = await tokens.CreateAsync(Name!, User.Identity!.Name!, ct);
            logger.LogInformation("{Admin} created API token {TokenId} ({TokenName})", EmailMask.Mask(User.Identity.Name), Created.Id, Created.Name);
            Name = null;
            ModelState.Clear();
        }
        Tokens = await tokens.ListAsync(ct);
        Response.Headers.CacheControl = "no-store";
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(int id, CancellationToken ct)
    {
        if (!await tokens.RevokeAsync(id, User.Identity!.Name!, ct)) return NotFound();
        logger.LogWarning("{Admin} revoked API token {TokenId}", EmailMask.Mask(User.Identity.Name), id);
        TempData["Status"] = "Token revoked; requests using it are refused from now on.";
        return RedirectToPage();
    }
}
