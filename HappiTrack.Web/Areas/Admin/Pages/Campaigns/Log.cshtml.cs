using HappiTrack.Web.Features.Crm;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages.Campaigns;

public sealed class LogModel(CampaignService campaigns) : PageModel
{
    public CampaignLog Log { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(int id, CancellationToken ct)
    {
        var log = await campaigns.LogAsync(id, ct);
        if (log is null) return NotFound();
        Log = log;
        return Page();
    }
}
