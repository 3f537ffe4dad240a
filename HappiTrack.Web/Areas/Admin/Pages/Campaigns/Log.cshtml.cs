using System.Globalization;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages.Campaigns;

/// <summary>One campaign's messages, a page at a time (25/50/100), filtered by status; unknown query values fall back to the defaults.</summary>
public sealed class LogModel(CampaignService campaigns) : PageModel
{
    public CampaignLog Log { get; private set; } = null!;
    public CampaignLogQuery Query { get; private set; } = new();
    public int Pages => Math.Max(1, (Log.Total + Query.PageSize - 1) / Query.PageSize);
    public DateTime ShopTime(DateTime utc) => campaigns.ShopTime(utc);
    public string ZoneName => campaigns.ShopZoneName;

    public async Task<IActionResult> OnGetAsync(int id, string? status, string? size, [FromQuery(Name = "p")] string? pageNumber, CancellationToken ct)
    {
        var pageSize = int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && CampaignLogQuery.PageSizes.Contains(s) ? s : 50;
        var number = int.TryParse(pageNumber, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 1_000_000 ? p : 1;
        Query = new CampaignLogQuery(NudgeStatusNames.Filter(status)?.Key, number, pageSize);
        var log = await campaigns.LogAsync(id, Query, ct);
        if (log is null) return NotFound();
        Log = log;
        return Page();
    }

    /// <remarks>The page number travels as <c>p</c>: <c>page</c> is Razor Pages' own route value.</remarks>
    public string PageLink(int number) => Url.Page("Log", new { id = Log.CampaignId, status = Query.Status, size = Query.PageSize, p = number })!;
}
