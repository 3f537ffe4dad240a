using HappiTrack.Web.Features.Analytics;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages;

/// <summary>Today and the last 7 days (shop days), side by side, and what is waiting or stuck right now.</summary>
public sealed class IndexModel(AdminOverview overview) : PageModel
{
    public AdminOverviewFigures Figures { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken ct) => Figures = await overview.BuildAsync(ct);
}
