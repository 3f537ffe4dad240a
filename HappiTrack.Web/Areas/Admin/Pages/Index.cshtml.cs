using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Sites;
using HappiTrack.Web.Pages.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages;

/// <summary>Today and the last 7 days (shop days), side by side, and what is waiting or stuck right now; for all sites or one.</summary>
public sealed class IndexModel(AdminOverview overview, SiteScope siteScope) : PageModel
{
    [BindProperty(SupportsGet = true, Name = SiteScope.QueryKey)] public string? SiteText { get; set; }

    public AdminOverviewFigures Figures { get; private set; } = null!;
    public SiteScopeSelection Scope { get; private set; } = SiteScopeSelection.AllSites;

    public SiteSwitcherModel Switcher => new(Scope, "/admin", []);

    /// <summary>A link to another view in the same site scope.</summary>
    public string Scoped(string path) => Scope.QueryValue is { } site
        ? Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(path, SiteScope.QueryKey, site)
        : path;

    public async Task OnGetAsync(CancellationToken ct)
    {
        Scope = await siteScope.ResolveAsync(SiteText, ct);
        Figures = await overview.BuildAsync(ct, Scope.SiteId);
    }
}
