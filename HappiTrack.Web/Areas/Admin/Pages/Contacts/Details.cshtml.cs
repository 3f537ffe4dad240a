using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Privacy;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Sites;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages.Contacts;

/// <summary>
/// One contact: the brain's profile (timeline, scores, tokens, nudges), "Send Link" on its waiting nudges,
/// and the staff actions (name, consent on the person's behalf, notes), each audited.
/// </summary>
public sealed class DetailsModel(ContactProfileService profiles, SiteScope siteScope, OutboxAdmin outbox, ContactEraser eraser, ContactActions actions) : PageModel
{
    /// <summary>The site scope of the contacts list this page was opened from (issue 20); kept by every form (they post to this URL).</summary>
    [BindProperty(SupportsGet = true, Name = SiteScope.QueryKey)] public string? SiteText { get; set; }

    public SiteScopeSelection Scope { get; private set; } = SiteScopeSelection.AllSites;
    private bool _scopeResolved;

    private async Task<ContactProfile?> LoadAsync(int id, CancellationToken ct)
    {
        if (!_scopeResolved)
        {
            Scope = await siteScope.ResolveAsync(SiteText, ct);
            _scopeResolved = true;
        }
        return await profiles.GetProfileAsync(id, ct, Scope.SiteId);
    }

    public ContactProfile Profile { get; private set; } = null!;
    public ManualResult? Outcome { get; private set; }
    public IReadOnlyList<ContactNote> Notes { get; private set; } = [];
    public IReadOnlyList<ConsentChange> ConsentHistory { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(int id, CancellationToken ct)
    {
        var profile = await LoadAsync(id, ct);
        if (profile is null) return NotFound();
        Profile = profile;
        await LoadStaffDataAsync(id, ct);
        return Page();
    }

    public Task<IActionResult> OnPostRenameAsync(int id, string? name, CancellationToken ct) => StaffActAsync(id, () => actions.RenameAsync(id, name, ct), ct);

    public Task<IActionResult> OnPostOptOutAsync(int id, CancellationToken ct) => StaffActAsync(id, () => actions.OptOutAsync(id, ct), ct);

    public Task<IActionResult> OnPostOptInAsync(int id, string? source, CancellationToken ct) => StaffActAsync(id, () => actions.OptInAsync(id, source, ct), ct);

    public Task<IActionResult> OnPostNoteAsync(int id, string? note, CancellationToken ct) =>
        StaffActAsync(id, () => actions.AddNoteAsync(id, note, User.Identity?.Name, ct), ct);

    private async Task<IActionResult> StaffActAsync(int id, Func<Task<ContactActionResult?>> action, CancellationToken ct)
    {
        var result = await action();
        if (result is null) return NotFound();
        Outcome = new ManualResult(result.Succeeded, result.Message);
        Profile = (await LoadAsync(id, ct))!;
        await LoadStaffDataAsync(id, ct);
        if (!result.Succeeded) Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    private async Task LoadStaffDataAsync(int id, CancellationToken ct)
    {
        Notes = await actions.NotesAsync(id, ct);
        ConsentHistory = await actions.ConsentHistoryAsync(id, ct);
    }

    /// <summary>Emulated dispatch: marks the nudge sent and shows the wa.me link to open (a redirect off-site would be blocked by form-action 'self').</summary>
    public Task<IActionResult> OnPostWaMeAsync(int id, int nudgeId, CancellationToken ct) => ActAsync(id, nudgeId, outbox.SendViaWaMeAsync, ct);

    public Task<IActionResult> OnPostQueueAsync(int id, int nudgeId, CancellationToken ct) => ActAsync(id, nudgeId, outbox.QueueNowAsync, ct);

    public Task<IActionResult> OnPostCancelAsync(int id, int nudgeId, CancellationToken ct) => ActAsync(id, nudgeId, outbox.CancelAsync, ct);

    /// <summary>Typing the phone number is the confirmation: a mis-click cannot erase a person.</summary>
    public async Task<IActionResult> OnPostEraseAsync(int id, string? reason, string? confirmPhone, CancellationToken ct)
    {
        var profile = await LoadAsync(id, ct);
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
            profile = (await LoadAsync(id, ct))!;
        }
        Profile = profile;
        await LoadStaffDataAsync(id, ct);
        if (!Outcome.Succeeded) Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    private async Task<IActionResult> ActAsync(int id, int nudgeId, Func<int, CancellationToken, Task<ManualResult>> action, CancellationToken ct)
    {
        var profile = await LoadAsync(id, ct);
        if (profile is null) return NotFound();
        if (!profile.Nudges.Any(n => n.Id == nudgeId))
        {
            Outcome = new ManualResult(false, "That nudge does not belong to this contact.");
        }
        else
        {
            Outcome = await action(nudgeId, ct);
            profile = (await LoadAsync(id, ct))!;
        }
        Profile = profile;
        await LoadStaffDataAsync(id, ct);
        if (!Outcome.Succeeded) Response.StatusCode = StatusCodes.Status409Conflict;
        return Page();
    }

    public static bool IsWaiting(string status) => NudgeStatuses.Pending.Contains(status);
}
