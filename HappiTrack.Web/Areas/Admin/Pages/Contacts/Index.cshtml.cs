using HappiTrack.Web.Features.Crm;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages.Contacts;

/// <summary>
/// The contacts table. The server renders the first view (works without script); admin.js then
/// polls <c>GET /api/contacts</c> with the same query and redraws the rows, so new shoppers and
/// changing scores appear without a reload.
/// </summary>
public sealed class IndexModel(ContactList contacts) : PageModel
{
    // "page" is Razor Pages' own route value, so the page number travels as "p".
    [BindProperty(SupportsGet = true, Name = "p")] public int PageNumber { get; set; } = 1;
    [BindProperty(SupportsGet = true)] public int PageSize { get; set; } = 25;
    [BindProperty(SupportsGet = true)] public string? Search { get; set; }
    // Nullable on purpose: a non-nullable bound string is implicitly required, so a plain visit without ?sort= was an error.
    [BindProperty(SupportsGet = true)] public string? Sort { get; set; }
    [BindProperty(SupportsGet = true)] public bool? Vip { get; set; }
    [BindProperty(SupportsGet = true)] public bool? OptedIn { get; set; }
    [BindProperty(SupportsGet = true)] public double? MinScore { get; set; }

    public ContactListPage Result { get; private set; } = new(1, 25, 0, ContactList.DefaultSort, []);
    public IReadOnlyList<string> Errors { get; private set; } = [];
    public int PageCount => Math.Max(1, (Result.Total + Result.PageSize - 1) / Result.PageSize);

    public async Task OnGetAsync(CancellationToken ct)
    {
        var query = new ContactListQuery(PageNumber, PageSize, Search, string.IsNullOrWhiteSpace(Sort) ? ContactList.DefaultSort : Sort, Vip, OptedIn, MinScore);
        var errors = ContactList.Validate(query);
        if (!ModelState.IsValid || errors.Count > 0)
        {
            Errors = [.. errors.Values.SelectMany(v => v), .. ModelState.Where(e => e.Value!.Errors.Count > 0).Select(e => $"'{e.Key}' is not valid.")];
            query = new ContactListQuery();
        }
        Result = await contacts.GetAsync(query, ct);
    }

    /// <summary>The query string for another page or sort of the same view.</summary>
    public string Link(int? page = null, string? sort = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["p"] = (page ?? Result.Page).ToString(),
            ["pageSize"] = Result.PageSize.ToString(),
            ["search"] = Search,
            ["sort"] = sort ?? Result.Sort,
            ["vip"] = Vip?.ToString().ToLowerInvariant(),
            ["optedIn"] = OptedIn?.ToString().ToLowerInvariant(),
            ["minScore"] = MinScore?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/admin/contacts", values.Where(v => !string.IsNullOrEmpty(v.Value)));
    }

    public string SortLink(string field) => Link(1, Result.Sort == "-" + field ? field : "-" + field);

    public string SortMark(string field) => Result.Sort == field ? "▲" : Result.Sort == "-" + field ? "▼" : "";
}
