using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages.Outbox;

/// <summary>Every nudge with its state and reason; failed and dead-lettered ones can be retried, waiting ones cancelled.</summary>
public sealed class IndexModel(OutboxAdmin outbox) : PageModel
{
    public const int PageSize = 50;

    [BindProperty(SupportsGet = true)] public string? Status { get; set; }
    [BindProperty(SupportsGet = true)] public string? Kind { get; set; }
    [BindProperty(SupportsGet = true, Name = "p")] public int PageNumber { get; set; } = 1;

    public IReadOnlyList<OutboxRow> Rows { get; private set; } = [];
    public int Total { get; private set; }
    public string? FilterError { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostRetryAsync(int id, CancellationToken ct) => Done(await outbox.RetryAsync(id, ct));

    public async Task<IActionResult> OnPostCancelAsync(int id, CancellationToken ct) => Done(await outbox.CancelAsync(id, ct));

    private IActionResult Done(ManualResult result)
    {
        TempData["Status"] = result.Message;
        return RedirectToPage(new { status = Status, kind = Kind });
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(Status) && !NudgeStatuses.All.Contains(Status)) { FilterError = $"Unknown status '{Status}'."; Status = null; }
        if (!string.IsNullOrEmpty(Kind) && !NudgeKinds.All.Contains(Kind)) { FilterError = $"Unknown kind '{Kind}'."; Kind = null; }
        PageNumber = Math.Clamp(PageNumber, 1, 100_000);
        (Rows, Total) = await outbox.ListAsync(Status, Kind, null, PageNumber, PageSize, ct);
    }

    public static bool CanRetry(string status) => NudgeStatuses.Retryable.Contains(status);
    public static bool CanCancel(string status) => NudgeStatuses.Cancellable.Contains(status);
}
