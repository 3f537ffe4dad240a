using HappiTrack.Web.Features.Audit;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages.Audit;

/// <summary>The audit trail, newest first; read-only (the page has no POST handler).</summary>
public sealed class IndexModel(AuditQuery query) : PageModel
{
    [BindProperty(SupportsGet = true, Name = "actor")] public string? Actor { get; set; }
    [BindProperty(SupportsGet = true, Name = "action")] public string? ActionName { get; set; }
    [BindProperty(SupportsGet = true, Name = "since")] public string? Since { get; set; }
    // "page" is Razor Pages' own route value, hence "p"; bound as text so "?p=x" is a message on the page, not a binder error.
    [BindProperty(SupportsGet = true, Name = "p")] public string? PageNumber { get; set; }

    public string? FilterError { get; private set; }
    public AuditPage Result { get; private set; } = new([], 1, AuditQuery.PageSize, false);

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var (filter, _, error) = AuditQuery.Parse(Since, Actor, ActionName, PageNumber);
        if (filter is null)
        {
            FilterError = error;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        Result = await query.ListAsync(filter, ct);
        return Page();
    }

    public IDictionary<string, string> RouteFor(int page) => new Dictionary<string, string>
    {
        ["actor"] = Actor ?? "", ["action"] = ActionName ?? "", ["since"] = Since ?? "", ["p"] = page.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
