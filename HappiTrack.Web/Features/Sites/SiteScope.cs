using System.Globalization;
using HappiTrack.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Sites;

/// <summary>A site an admin can scope the analytics and CRM views to.</summary>
public sealed record SiteChoice(int Id, string Name, bool Revoked)
{
    public string Label => Revoked ? $"{Name} (revoked)" : Name;
}

/// <summary>
/// The site the admin's analytics and CRM views are scoped to (issue 20): <see cref="Site"/> null means every site
/// together. Travels as <c>?site=&lt;id&gt;</c> in every link and form of those views.
/// </summary>
/// <param name="Notice">Set when the link named a site that is not there; the view then shows every site.</param>
public sealed record SiteScopeSelection(IReadOnlyList<SiteChoice> Sites, SiteChoice? Site, string? Notice)
{
    public int? SiteId => Site?.Id;

    /// <summary>One site only: "all sites" is that site, so there is nothing to switch.</summary>
    public bool ShowSwitcher => Sites.Count > 1;

    /// <summary>The value of <c>site</c> in this view's links; null (left out) for all sites.</summary>
    public string? QueryValue => Site?.Id.ToString(CultureInfo.InvariantCulture);

    public string Describe => Site is null ? "All sites" : Site.Label;

    public static readonly SiteScopeSelection AllSites = new([], null, null);
}

/// <summary>
/// Resolves the <c>site</c> value of a link. Never throws on what a browser sends: anything that is not the id of a
/// site (text, a huge number, a deleted site) gives every site and a notice. A revoked site can still be chosen:
/// its key no longer works, but the events, orders and contacts it brought are still the shop owner's to look at.
/// </summary>
public sealed class SiteScope(AppDbContext db)
{
    public const string QueryKey = "site";

    public async Task<SiteScopeSelection> ResolveAsync(string? requested, CancellationToken ct = default)
    {
        var sites = await db.Set<Site>().AsNoTracking().OrderBy(s => s.Id)
            .Select(s => new SiteChoice(s.Id, s.Name, s.RevokedAt != null)).ToListAsync(ct);
        var text = requested?.Trim();
        if (string.IsNullOrEmpty(text) || string.Equals(text, "all", StringComparison.OrdinalIgnoreCase) || sites.Count <= 1)
            return new SiteScopeSelection(sites, null, null);
        var chosen = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? sites.FirstOrDefault(s => s.Id == id) : null;
        return chosen is null
            ? new SiteScopeSelection(sites, null, $"There is no site “{(text.Length <= 30 ? text : text[..30] + "…")}”; showing all sites.")
            : new SiteScopeSelection(sites, chosen, null);
    }
}
