using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Scoring;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages.Contacts;

/// <summary>One contact: the brain's profile (timeline, scores, tokens, nudges) and "Send Link" on its waiting nudges.</summary>
public sealed class DetailsModel(ContactProfileService profiles, OutboxAdmin outbox) : PageModel
{
    public ContactProfile Profile { get; private set; } = null!;
    public ManualResult? Outcome { get; private set; }

    public async Task<IActionResult> OnGetAsync(int id, CancellationToken ct)
    {
        var profile = await profiles.GetProfileAsync(id, ct);
        if (profile is null) return NotFound();
        Profile = profile;
        return Page();
    }

    /// <summary>Emulated dispatch: marks the nudge sent and shows the wa.me link to open (a redirect off-site would be blocked by form-action 'self').</summary>
    public Task<IActionResult> OnPostWaMeAsync(int id, int nudgeId, CancellationToken ct) => ActAsync(id, nudgeId, outbox.SendViaWaMeAsync, ct);

    public Task<IActionResult> OnPostQueueAsync(int id, int nudgeId, CancellationToken ct) => ActAsync(id, nudgeId, outbox.QueueNowAsync, ct);

    public Task<IActionResult> OnPostCancelAsync(int id, int nudgeId, CancellationToken ct) => ActAsync(id, nudgeId, outbox.CancelAsync, ct);

    private async Task<IActionResult> ActAsync(int id, int nudgeId, Func<int, CancellationToken, Task<ManualResult>> action, CancellationToken ct)
    {
        var profile = await profiles.GetProfileAsync(id, ct);
        if (profile is null) return NotFound();
        if (!profile.Nudges.Any(n => n.Id == nudgeId))
        {
            Outcome = new ManualResult(false, "That nudge does not belong to this contact.");
        }
        else
        {
            Outcome = await action(nudgeId, ct);
            profile = (await profiles.GetProfileAsync(id, ct))!;
        }
        Profile = profile;
        if (!Outcome.Succeeded) Response.StatusCode = StatusCodes.Status409Conflict;
        return Page();
    }

    public static bool IsWaiting(string status) => NudgeStatuses.Pending.Contains(status);
}
