using HappiTrack.Web.Features.Sites;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages.Sites;

/// <summary>
/// The shops the brain serves (issue 20). A new site's key and secret, and a rotated secret, are rendered
/// once, in the response to the POST that made them (no redirect, no TempData), never stored in the clear.
/// </summary>
public sealed class IndexModel(SiteAdmin sites) : PageModel
{
    public IReadOnlyList<SiteSummary> Sites { get; private set; } = [];
    public SiteCredentials? Shown { get; private set; }
    public bool Rotated { get; private set; }

    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Origins { get; set; }
    [BindProperty] public string? TimeZone { get; set; }
    [BindProperty] public string? CartRestoreUrlTemplate { get; set; }

    public async Task OnGetAsync(CancellationToken ct) => Sites = await sites.ListAsync(ct);

    public async Task<IActionResult> OnPostRegisterAsync(CancellationToken ct)
    {
        var result = await sites.RegisterAsync(new SiteRegistration(Name, Origins, TimeZone, CartRestoreUrlTemplate), ct);
        foreach (var (field, message) in result.Errors) ModelState.AddModelError(field, message);
        if (result.Created is { } created)
        {
            Shown = created;
            ModelState.Clear();
            Name = Origins = TimeZone = CartRestoreUrlTemplate = null;
        }
        return await ShowAsync(ct);
    }

    public async Task<IActionResult> OnPostRotateAsync(int id, CancellationToken ct)
    {
        if (await sites.RotateSecretAsync(id, ct) is not { } rotated) return NotFound();
        Shown = rotated;
        Rotated = true;
        return await ShowAsync(ct);
    }

    public async Task<IActionResult> OnPostRevokeAsync(int id, CancellationToken ct)
    {
        if (!await sites.RevokeAsync(id, ct)) return NotFound();
        TempData["Status"] = "Site revoked: its key and secret stop working within seconds.";
        return RedirectToPage();
    }

    private async Task<IActionResult> ShowAsync(CancellationToken ct)
    {
        Sites = await sites.ListAsync(ct);
        Response.Headers.CacheControl = "no-store";
        return Page();
    }
}
