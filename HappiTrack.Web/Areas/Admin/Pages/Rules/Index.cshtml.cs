using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages.Rules;

/// <summary>
/// Edits the brain's rule settings through <see cref="RuleSettingsService"/>, which validates and
/// stores them; the brain reads them fresh on every evaluation, so a save applies without restart.
/// </summary>
public sealed class IndexModel(RuleSettingsService settingsService, ShopContext shop, TimeProvider clock, IAuditLog audit, ILogger<IndexModel> logger) : PageModel
{
    [BindProperty] public RuleSettings Settings { get; set; } = new();

    public string TimeZoneName => shop.TimeZone.Id;
    public DateTime ShopNow => TimeZoneInfo.ConvertTimeFromUtc(clock.GetUtcNow().UtcDateTime, shop.TimeZone);

    public async Task OnGetAsync(CancellationToken ct) => Settings = await settingsService.GetAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!ModelState.IsValid)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        var before = await settingsService.GetAsync(ct);
        var result = await settingsService.UpdateAsync(Settings, User.Identity?.Name, ct);
        if (!result.Succeeded)
        {
            foreach (var (field, message) in result.Errors) ModelState.AddModelError($"{nameof(Settings)}.{field}", $"{Label(field)}: {message}");
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        await audit.RecordAsync(AuditActions.RuleChange, "rule_settings", new { before, after = Settings }, ct);
        logger.LogInformation("{Admin} updated the rule settings", HappiTrack.Web.Features.Admin.EmailMask.Mask(User.Identity?.Name));
        TempData["Status"] = "Rules saved. They apply to the next evaluation; no restart needed.";
        return RedirectToPage();
    }

    /// <summary>"Guards.QuietHoursStart" → "Guards › Quiet hours start", so a message names the field as the form shows it.</summary>
    public static string Label(string field) =>
        string.Join(" › ", field.Split('.').Select(part => System.Text.RegularExpressions.Regex.Replace(part, "(?<=[a-z])(?=[A-Z])", " ")));
}
