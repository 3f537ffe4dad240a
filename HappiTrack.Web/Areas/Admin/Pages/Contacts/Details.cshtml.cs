using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Privacy;
using HappiTrack.Web.Features.Scoring;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages.Contacts;

/// <summary>One contact: the brain's profile (timeline, scores, tokens, nudges) and "Send Link" on its waiting nudges.</summary>
public sealed class DetailsModel(ContactProfileService profiles, OutboxAdmin outbox, ContactEraser eraser) : PageModel
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

    /// <summary>Typing the phone number is the confirmation: a mis-click cannot erase a person.</summary>
    public async Task<IActionResult> OnPostEraseAsync(int id, string? reason, string? confirmPhone, CancellationToken ct)
    {
        var profile = await profiles.GetProfileAsync(id, ct);
        if (profile is null) return NotFound();
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 500)
            Outcome = new ManualResult(false, "Say why the contact is erased (at most 500 characters).");
        else if (!PhoneNumber.TryNormalize(confirmPhone, out var typed) || typed != profile.Phone)
            Outcome = new ManualResult(false, "The phone number you typed does not match this contact; nothing was erased.");
        else
        {
            var result = await eraser.EraseAsync(id, reason, User.Identity?.Name ?? "(unknown)", ct);
            Outcome = result.Outcome switch
            {
                ErasureOutcome.Erased => new ManualResult(true, $"Erased: {result.Events} events deleted, {result.Visitors} browsers unlinked, {result.Orders} orders anonymised."),
                ErasureOutcome.AlreadyErased => new ManualResult(true, "This contact was already erased."),
                _ => new ManualResult(false, "Erasure is not configured: set Privacy:SuppressionKey."),
            };
            profile = (await profiles.GetProfileAsync(id, ct))!;
        }
        Profile = profile;
        if (!Outcome.Succeeded) Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

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
