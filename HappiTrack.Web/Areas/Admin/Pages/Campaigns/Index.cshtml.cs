using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Crm;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Areas.Admin.Pages.Campaigns;

/// <summary>
/// Compose, preview (reach, what each guard would hold back beside a blast to everyone, three real
/// messages), then confirm the number. The send button exists only on a preview, and the server
/// checks that the preview is of this message and segment, recent, and that the reach still holds.
/// </summary>
public sealed class IndexModel(CampaignService campaigns, AppDbContext db) : PageModel
{
    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Message { get; set; } = "Hi {name}, we picked something for you: {product}. Have a look: {link}";
    [BindProperty] public bool? Vip { get; set; }
    [BindProperty] public double? MinScore { get; set; }
    [BindProperty] public string? Tag { get; set; }
    [BindProperty] public bool? AbandonedCart { get; set; }
    [BindProperty] public int? SeenWithinDays { get; set; }
    /// <summary>The campaign's control group, 0–50 % of the contacts it reaches (default 0: everyone gets it).</summary>
    [BindProperty] public int HoldoutPercent { get; set; }
    /// <summary>Carried from the preview to the send: what the admin saw.</summary>
    [BindProperty] public string? PreviewId { get; set; }
    [BindProperty] public int? Confirm { get; set; }
    /// <summary>Empty: send now. Otherwise a <c>datetime-local</c> value in the shop's time zone.</summary>
    [BindProperty] public string? ScheduleAt { get; set; }

    /// <summary>The valid <see cref="ScheduleAt"/> in UTC, when the admin chose a later time.</summary>
    public DateTime? ScheduledForUtc { get; private set; }

    public CampaignPreview? Preview { get; private set; }
    /// <summary>Why a send was refused; a fresh preview is shown beside it.</summary>
    public string? Refusal { get; private set; }
    public IReadOnlyList<CampaignListItem> Recent { get; private set; } = [];
    public IReadOnlyList<(string Slug, string Name)> Tags { get; private set; } = [];

    private CampaignSegment Segment => new(Vip, MinScore, string.IsNullOrWhiteSpace(Tag) ? null : Tag, AbandonedCart, SeenWithinDays);

    public string ZoneName => campaigns.ShopZoneName;
    public DateTime ShopTime(DateTime utc) => campaigns.ShopTime(utc);

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostPreviewAsync(CancellationToken ct)
    {
        if (await ValidAsync(requireName: false, ct)) await PreviewAsync(ct);
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostSendAsync(CancellationToken ct)
    {
        if (!await ValidAsync(requireName: true, ct))
        {
            await LoadAsync(ct);
            return Page();
        }
        var result = await campaigns.SendAsync(Draft, new SendConfirmation(PreviewId, Confirm), User.Identity?.Name, ct);
        if (!result.Sent)
        {
            Refusal = result.Problem;
            Response.StatusCode = StatusCodes.Status409Conflict;
            await PreviewAsync(ct);
            await LoadAsync(ct);
            return Page();
        }
        var outcome = result.Outcome!;
        TempData["Status"] = $"Campaign sent to {outcome.Queued} contacts ({outcome.Deferred} wait for quiet hours to end); "
            + $"{outcome.Suppressed.OptedOut + outcome.Suppressed.NoOptIn + outcome.Suppressed.Capped} of the {outcome.Matched} matching contacts were held back by the guards."
            + (outcome.HeldOut > 0 ? $" {outcome.HeldOut} were held out as the control group." : "");
        return RedirectToPage("Log", new { id = outcome.CampaignId });
    }

    public async Task<IActionResult> OnPostScheduleAsync(CancellationToken ct)
    {
        if (!await ValidAsync(requireName: true, ct) || ScheduledForUtc is not { } at)
        {
            if (ModelState.IsValid) ModelState.AddModelError(nameof(ScheduleAt), "Pick the date and time to send.");
            Response.StatusCode = StatusCodes.Status400BadRequest;
            await LoadAsync(ct);
            return Page();
        }
        var result = await campaigns.ScheduleAsync(Draft, new SendConfirmation(PreviewId, Confirm), at, User.Identity?.Name, ct);
        if (!result.Sent)
        {
            Refusal = result.Problem;
            Response.StatusCode = StatusCodes.Status409Conflict;
            await PreviewAsync(ct);
            await LoadAsync(ct);
            return Page();
        }
        TempData["Status"] = $"Campaign \"{Name!.Trim()}\" scheduled for {campaigns.ShopTime(at):ddd d MMM yyyy, HH:mm} ({campaigns.ShopZoneName}). You can cancel it here until then.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostCancelAsync(int campaignId, CancellationToken ct)
    {
        if (await campaigns.CancelAsync(campaignId, User.Identity?.Name, ct))
            TempData["Status"] = "The scheduled campaign was cancelled; nothing was sent.";
        else
        {
            Refusal = "That campaign is not scheduled any more (it started, or was cancelled already), so it was not cancelled.";
            Response.StatusCode = StatusCodes.Status409Conflict;
            await LoadAsync(ct);
            return Page();
        }
        return RedirectToPage();
    }

    private CampaignDraft Draft => new(Name, Message, Segment, HoldoutPercent);

    private async Task PreviewAsync(CancellationToken ct)
    {
        Preview = await campaigns.PreviewAsync(Segment, Message, HoldoutPercent, ct);
        // The hidden fields must carry this preview, not the one the form was posted with.
        ModelState.Remove(nameof(PreviewId));
        ModelState.Remove(nameof(Confirm));
        PreviewId = Preview.PreviewId;
        Confirm = Preview.Reach;
    }

    private async Task<bool> ValidAsync(bool requireName, CancellationToken ct)
    {
        foreach (var (key, messages) in await campaigns.ValidateAsync(Draft, requireName, requireMessage: true, ct))
        {
            var field = key switch { "segment.minScore" => nameof(MinScore), "segment.tag" => nameof(Tag), "segment.seenWithinDays" => nameof(SeenWithinDays), "name" => nameof(Name), "message" => nameof(Message), "holdoutPercent" => nameof(HoldoutPercent), _ => key };
            foreach (var m in messages) ModelState.AddModelError(field, m);
        }
        if (!string.IsNullOrWhiteSpace(ScheduleAt))
        {
            if (campaigns.TryParseSchedule(ScheduleAt, out var utc, out var error)) ScheduledForUtc = utc;
            else ModelState.AddModelError(nameof(ScheduleAt), error!);
        }
        if (!ModelState.IsValid) Response.StatusCode = StatusCodes.Status400BadRequest;
        return ModelState.IsValid;
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Recent = await campaigns.ListAsync(50, ct);
        Tags = (await db.Tags.AsNoTracking().OrderBy(t => t.Name).Select(t => new { t.Slug, t.Name }).ToListAsync(ct)).Select(t => (t.Slug, t.Name)).ToList();
    }
}
