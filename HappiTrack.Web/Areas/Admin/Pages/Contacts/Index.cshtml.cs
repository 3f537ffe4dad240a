using System.Globalization;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Features.Sites;
using HappiTrack.Web.Pages.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages.Contacts;

/// <summary>
/// The contacts table. The server renders the first view (works without script); admin.js then
/// polls <c>GET /api/contacts</c> with the same query and redraws the rows, so new shoppers and
/// changing scores appear without a reload. Every filter, the sort and the page live in the query
/// string, so a filtered view is a link that can be shared; <c>?handler=Export</c> downloads the same
/// filter as CSV (all matching rows).
/// </summary>
public sealed class IndexModel(ContactList contacts, SiteScope siteScope, IAuditLog audit, TimeProvider clock) : PageModel
{
    public static readonly IReadOnlyList<int> PageSizes = [25, 50, 100];

    // Bound as text and parsed here, so a hand-edited link ("pageSize=7", "minScore=abc") falls back field by
    // field with a message instead of failing the whole view. "page" is Razor Pages' own route value, so the page number travels as "p".
    [BindProperty(SupportsGet = true, Name = "p")] public string? PageText { get; set; }
    [BindProperty(SupportsGet = true, Name = "pageSize")] public string? PageSizeText { get; set; }
    [BindProperty(SupportsGet = true, Name = "search")] public string? SearchText { get; set; }
    [BindProperty(SupportsGet = true, Name = "sort")] public string? SortText { get; set; }
    [BindProperty(SupportsGet = true, Name = "vip")] public string? VipText { get; set; }
    [BindProperty(SupportsGet = true, Name = "optedIn")] public string? OptedInText { get; set; }
    [BindProperty(SupportsGet = true, Name = "minScore")] public string? MinScoreText { get; set; }
    [BindProperty(SupportsGet = true, Name = "hasCart")] public string? HasCartText { get; set; }
    [BindProperty(SupportsGet = true, Name = SiteScope.QueryKey)] public string? SiteText { get; set; }

    public SiteScopeSelection Scope { get; private set; } = SiteScopeSelection.AllSites;

    /// <summary>The switcher keeps the filters and sort, and starts at page 1 (the other site has other pages).</summary>
    public SiteSwitcherModel Switcher => new(Scope, "/admin/contacts",
        Values(1, Result.Sort).Where(v => v.Key != SiteScope.QueryKey && !string.IsNullOrEmpty(v.Value)).Select(v => (v.Key, v.Value!)).ToList());

    public ContactListQuery Query { get; private set; } = new();
    public ContactListPage Result { get; private set; } = new(1, 25, 0, ContactList.DefaultSort, []);
    /// <summary>What was not understood in the link and what is shown instead.</summary>
    public IReadOnlyList<string> Notices { get; private set; } = [];
    public int PageCount => Math.Max(1, (Result.Total + Result.PageSize - 1) / Result.PageSize);

    public async Task OnGetAsync(CancellationToken ct)
    {
        Scope = await siteScope.ResolveAsync(SiteText, ct);
        (Query, Notices) = Parse();
        Result = await contacts.GetAsync(Query, ct);
        if (Result.Items.Count == 0 && Result.Total > 0 && Query.Page > 1)
        {
            // A shared link outlived its rows (contacts erased, filter now narrower): show the last page there is.
            var last = (Result.Total + Query.PageSize - 1) / Query.PageSize;
            Notices = [.. Notices, $"There is no page {Query.Page}; showing the last page, {last}."];
            Query = Query with { Page = last };
            Result = await contacts.GetAsync(Query, ct);
        }
    }

    /// <summary>
    /// Every contact the current filter matches, in the current order, as CSV. Admin only (the area's policy)
    /// and audited before the first byte leaves: the file holds names and phone numbers.
    /// </summary>
    public async Task<IActionResult> OnGetExportAsync(CancellationToken ct)
    {
        Scope = await siteScope.ResolveAsync(SiteText, ct);
        // A file is read away from the page: a wrong site is refused rather than exported as every site's contacts.
        if (Scope.Notice is not null) return BadRequest(Scope.Notice);
        (Query, _) = Parse();
        var rows = await contacts.CountAsync(Query, ct);
        // Ids and filter values only: the audit trail outlives erasure, so the search text (often a name) is not copied into it.
        await audit.RecordAsync(AuditActions.ContactListExport, null, new
        {
            rows, sort = Query.Sort, searched = Query.Search is not null, vip = Query.Vip, optedIn = Query.OptedIn,
            minScore = Query.MinScore, hasCart = Query.HasCart, site = Query.Site,
        }, ct);
        var fileName = $"contacts{(Scope.SiteId is { } id ? $"-site{id}" : "")}-{clock.GetUtcNow():yyyy-MM-dd}.csv";
        var query = Query;
        return new StreamedResult("text/csv; charset=utf-8", fileName, (body, token) => contacts.WriteCsvAsync(query, body, token));
    }

    /// <summary>
    /// Writes the body when the result runs, i.e. after the result filters (the admin area's no-store header) have
    /// set their headers; a handler writing to the body itself would start the response before them.
    /// </summary>
    private sealed class StreamedResult(string contentType, string fileName, Func<Stream, CancellationToken, Task> write) : IActionResult
    {
        public async Task ExecuteResultAsync(ActionContext context)
        {
            var response = context.HttpContext.Response;
            response.ContentType = contentType;
            response.Headers.ContentDisposition = new System.Net.Mime.ContentDisposition { FileName = fileName, DispositionType = "attachment" }.ToString();
            response.Headers.CacheControl = "no-store";
            await write(response.Body, context.HttpContext.RequestAborted);
        }
    }

    private (ContactListQuery, IReadOnlyList<string>) Parse()
    {
        var notices = new List<string>();
        var page = 1;
        if (!string.IsNullOrWhiteSpace(PageText)
            && !(int.TryParse(PageText, NumberStyles.None, CultureInfo.InvariantCulture, out page) && page is >= 1 and <= 1_000_000))
        {
            notices.Add($"“{Clip(PageText)}” is not a page number; showing page 1.");
            page = 1;
        }
        var pageSize = PageSizes[0];
        if (!string.IsNullOrWhiteSpace(PageSizeText)
            && !(int.TryParse(PageSizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) && PageSizes.Contains(pageSize)))
        {
            notices.Add($"A page shows 25, 50 or 100 contacts, not “{Clip(PageSizeText)}”; showing {PageSizes[0]}.");
            pageSize = PageSizes[0];
        }
        var search = string.IsNullOrWhiteSpace(SearchText) ? null : SearchText.Trim();
        if (search is { Length: > ContactList.MaxSearchLength })
        {
            notices.Add($"A search may be at most {ContactList.MaxSearchLength} characters; showing every contact.");
            search = null;
        }
        var sort = string.IsNullOrWhiteSpace(SortText) ? ContactList.DefaultSort : SortText.Trim();
        if (!ContactList.SortFields.Contains(sort.StartsWith('-') ? sort[1..] : sort))
        {
            notices.Add($"Cannot sort by “{Clip(sort)}”; sorted by last seen, most recent first.");
            sort = ContactList.DefaultSort;
        }
        double? minScore = null;
        if (!string.IsNullOrWhiteSpace(MinScoreText))
        {
            if (double.TryParse(MinScoreText, NumberStyles.Float, CultureInfo.InvariantCulture, out var min) && double.IsFinite(min) && min >= 0)
                minScore = min;
            else
                notices.Add($"The minimum score must be a number of 0 or more, not “{Clip(MinScoreText)}”; showing every score.");
        }
        var query = new ContactListQuery(page, pageSize, search, sort,
            Flag(VipText, "VIP", notices), Flag(OptedInText, "opt-in", notices), minScore, Flag(HasCartText, "cart", notices), Scope.SiteId);
        return (query, notices);
    }

    private static bool? Flag(string? text, string name, List<string> notices)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (bool.TryParse(text.Trim(), out var value)) return value;
        notices.Add($"The {name} filter “{Clip(text)}” is not understood; showing contacts with and without.");
        return null;
    }

    /// <summary>Echoes a bad value back without letting a long one flood the page (Razor encodes it).</summary>
    private static string Clip(string text) => text.Length <= 30 ? text : text[..30] + "…";

    private Dictionary<string, string?> Values(int page, string sort) => new()
    {
        ["p"] = page == 1 ? null : page.ToString(CultureInfo.InvariantCulture),
        ["pageSize"] = Query.PageSize == PageSizes[0] ? null : Query.PageSize.ToString(CultureInfo.InvariantCulture),
        ["search"] = Query.Search,
        ["sort"] = sort,
        ["vip"] = Lower(Query.Vip),
        ["optedIn"] = Lower(Query.OptedIn),
        ["minScore"] = Query.MinScore?.ToString(CultureInfo.InvariantCulture),
        ["hasCart"] = Lower(Query.HasCart),
        [SiteScope.QueryKey] = Scope.QueryValue,
    };

    private static string? Lower(bool? value) => value?.ToString().ToLowerInvariant();

    private static string Build(string path, Dictionary<string, string?> values) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(path, values.Where(v => !string.IsNullOrEmpty(v.Value)));

    /// <summary>The link to another page or sort of the same view.</summary>
    public string Link(int? page = null, string? sort = null) => Build("/admin/contacts", Values(page ?? Result.Page, sort ?? Result.Sort));

    /// <summary>The CSV of the current filter and order (every page).</summary>
    public string ExportLink()
    {
        var values = Values(1, Result.Sort);
        values["p"] = null;
        values["pageSize"] = null;
        values["handler"] = "Export";
        return Build("/admin/contacts", values);
    }

    /// <summary>A column's first click sorts it descending (highest, newest, VIP, opted in first); the next click flips it.</summary>
    public string SortLink(string field) => Link(1, Result.Sort == "-" + field ? field : "-" + field);

    public string SortMark(string field) => Result.Sort == field ? "▲" : Result.Sort == "-" + field ? "▼" : "";

    /// <summary>The <c>aria-sort</c> of a column header, so a screen reader announces the order.</summary>
    public string AriaSort(string field) => Result.Sort == field ? "ascending" : Result.Sort == "-" + field ? "descending" : "none";
}
