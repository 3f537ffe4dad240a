using HappiTrack.Web.Features.Privacy;
using HappiTrack.Web.Features.Tracking;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Pages;

/// <summary>
/// The shopper's own privacy switch (issue 18): what the tracker collects and for how long, "Stop tracking me"
/// (a cookie the server enforces, so it works without JavaScript) and "Delete my browsing data". Every action
/// is a form POST (antiforgery-checked) that acts only on this browser's own cookies, then redirects back here.
/// </summary>
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)] // the page shows this browser's own choice
public sealed class PrivacyModel(PrivacyOptions options, BrowsingDataEraser eraser) : PageModel
{
    private const string StatusKey = "PrivacyStatus";

    public int RawEventDays => options.RawEventDays;
    public int NudgeBodyDays => options.NudgeBodyDays;
    public bool OptedOut { get; private set; }
    /// <summary>Do-Not-Track or Global Privacy Control: the tracker already stays silent for this browser.</summary>
    public bool BrowserSignal { get; private set; }
    public string? Status { get; private set; }

    public void OnGet()
    {
        OptedOut = TrackingOptOut.IsOptedOut(Request);
        BrowserSignal = Request.Headers["DNT"] == "1" || Request.Headers["Sec-GPC"] == "1";
        Status = TempData[StatusKey] as string;
    }

    public IActionResult OnPostStop()
    {
        TrackingOptOut.OptOut(Response);
        return Done("Tracking is off for this browser. We will not record what you look at here until you turn it back on.");
    }

    public IActionResult OnPostResume()
    {
        TrackingOptOut.Resume(Response);
        return Done("Tracking is on again for this browser.");
    }

    public async Task<IActionResult> OnPostDeleteAsync(CancellationToken ct)
    {
        // Never issue a cookie here: a browser without one has nothing recorded.
        if (HttpContext.FindVisitorId() is not { } visitorId)
            return Done("There was no browsing data recorded for this browser, so there was nothing to delete.");
        var erased = await eraser.EraseAsync(visitorId, ct);
        return Done(erased.Events == 0
            ? "There was no browsing data recorded for this browser, so there was nothing to delete."
            : $"Done: we deleted the {erased.Events:#,##0} browsing {(erased.Events == 1 ? "event" : "events")} recorded for this browser. Your cart and any orders are untouched.");
    }

    private RedirectToPageResult Done(string status)
    {
        TempData[StatusKey] = status;
        return RedirectToPage();
    }
}
