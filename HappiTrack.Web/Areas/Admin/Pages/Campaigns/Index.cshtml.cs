using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Crm;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Areas.Admin.Pages.Campaigns;

/// <summary>Compose, preview (reach and what each guard would hold back, beside a blast to everyone), send.</summary>
public sealed class IndexModel(CampaignService campaigns, AppDbContext db) : PageModel
{
    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Message { get; set; } = "Hi {name}, we picked something for you: {product}. Have a look: {link}";
    [BindProperty] public bool? Vip { get; set; }
    [BindProperty] public double? MinScore { get; set; }
    [BindProperty] public string? Tag { get; set; }
    [BindProperty] public bool? AbandonedCart { get; set; }
    [BindProperty] public int? SeenWithinDays { get; set; }

    public CampaignOutcome? Preview { get; private set; }
    public IReadOnlyList<CampaignListItem> Recent { get; private set; } = [];
    public IReadOnlyList<(string Slug, string Name)> Tags { get; private set; } = [];

    private CampaignSegment Segment => new(Vip, MinScore, string.IsNullOrWhiteSpace(Tag) ? null : Tag, AbandonedCart, SeenWithinDays);

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostPreviewAsync(CancellationToken ct)
    {
        if (await ValidAsync(requireContent: false, ct)) Preview = await campaigns.PreviewAsync(Segment, ct);
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostSendAsync(CancellationToken ct)
    {
        if (!await ValidAsync(requireContent: true, ct))
        {
            await LoadAsync(ct);
            return Page();
        }
        var outcome = await campaigns.SendAsync(Name!, Message!, Segment, User.Identity?.Name, ct);
        TempData["Status"] = $"Campaign sent to {outcome.Matched} matching contacts: {outcome.Queued} queued ({outcome.Deferred} wait for quiet hours to end), "
            + $"{outcome.Suppressed.OptedOut + outcome.Suppressed.NoOptIn + outcome.Suppressed.Capped} held back by the guards.";
        return RedirectToPage("Log", new { id = outcome.CampaignId });
    }

    private async Task<bool> ValidAsync(bool requireContent, CancellationToken ct)
    {
        foreach (var (key, messages) in await campaigns.ValidateAsync(new CampaignDraft(Name, Message, Segment), requireContent, ct))
        {
            var field = key switch { "segment.minScore" => nameof(MinScore), "segment.tag" => nameof(Tag), "segment.seenWithinDays" => nameof(SeenWithinDays), "name" => nameof(Name), "message" => nameof(Message), _ => key };
            foreach (var m in messages) ModelState.AddModelError(field, m);
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
