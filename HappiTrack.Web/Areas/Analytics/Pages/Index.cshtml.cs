using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Privacy;
using HappiTrack.Web.Features.Sites;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Analytics.Pages;

/// <summary>The analytics dashboard. Every input is a plain string so bad dates become a message, not a binding error.</summary>
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)] // customer figures stay out of shared caches
public sealed class IndexModel(AnalyticsDashboard dashboard, SiteScope siteScope, ShopCalendar calendar, PrivacyOptions privacy, TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<HappiTrack.Web.Features.Nudges.AttributionOptions> attribution) : PageModel
{
    public int AttributionWindowDays => attribution.Value.WindowDays;

    [BindProperty(SupportsGet = true)] public string? Preset { get; set; }
    [BindProperty(SupportsGet = true)] public string? From { get; set; }
    [BindProperty(SupportsGet = true)] public string? To { get; set; }
    [BindProperty(SupportsGet = true)] public string? Source { get; set; }
    [BindProperty(SupportsGet = true)] public string? Path { get; set; }
    [BindProperty(SupportsGet = true)] public string? Tags { get; set; }
    [BindProperty(SupportsGet = true, Name = SiteScope.QueryKey)] public string? SiteText { get; set; }

    public SiteScopeSelection Scope { get; private set; } = SiteScopeSelection.AllSites;

    public RangeSelection Selection { get; private set; } = null!;
    public Dashboard Data { get; private set; } = null!;
    public DateOnly Today { get; private set; }
    /// <summary>In raw mode, when the range starts before it: the first day whose raw events retention has not deleted.</summary>
    public DateOnly? FirstRawDay { get; private set; }
    public int RawEventDays => privacy.RawEventDays;

    public async Task OnGetAsync(CancellationToken ct)
    {
        Today = calendar.Today;
        Selection = RangeSelection.Resolve(Preset, From, To, Today);
        Scope = await siteScope.ResolveAsync(SiteText, ct);
        Data = await dashboard.BuildAsync(Selection.Range, AnalyticsServiceCollectionExtensions.ParseSource(Source), Path, Tags, ct, Scope.SiteId);
        if (Data.Source == AnalyticsSource.Raw)
        {
            // Retention deletes raw events older than Privacy:RawEventDays, so the day holding the cut-off is already partial.
            var first = calendar.FirstDayStartingAtOrAfter(clock.GetUtcNow().UtcDateTime.AddDays(-privacy.RawEventDays));
            if (Selection.Range.From < first) FirstRawDay = first;
        }
        Response.Headers["Server-Timing"] = Data.ServerTiming;
        Response.Headers.CacheControl = "no-store";
    }

    /// <summary>The query string that reproduces this view, for CSV links and the heatmap/tag pickers.</summary>
    /// <param name="source">Another data source for the same view (default: this one).</param>
    public string RangeQuery(bool includePath = true, AnalyticsSource? source = null)
    {
        var q = new List<KeyValuePair<string, string?>>();
        if (Selection.Preset == "custom")
        {
            q.Add(new("from", Selection.Range.From.ToString("yyyy-MM-dd")));
            q.Add(new("to", Selection.Range.To.ToString("yyyy-MM-dd")));
        }
        else q.Add(new("preset", Selection.Preset));
        if ((source ?? Data.Source) == AnalyticsSource.Raw) q.Add(new("source", "raw"));
        q.Add(new("tags", Data.TagKind));
        if (includePath && Data.Heatmap.Path is not null) q.Add(new("path", Data.Heatmap.Path));
        if (Scope.QueryValue is { } site) q.Add(new(SiteScope.QueryKey, site));
        return Microsoft.AspNetCore.Http.QueryString.Create(q).ToString();
    }

    /// <summary>Hidden inputs that keep the range (and optionally the tag kind) when a picker form is submitted.</summary>
    public IEnumerable<(string Name, string Value)> HiddenRangeFields(bool includeTags)
    {
        if (Selection.Preset == "custom")
        {
            yield return ("from", Selection.Range.From.ToString("yyyy-MM-dd"));
            yield return ("to", Selection.Range.To.ToString("yyyy-MM-dd"));
        }
        else yield return ("preset", Selection.Preset);
        if (Data.Source == AnalyticsSource.Raw) yield return ("source", "raw");
        if (includeTags) yield return ("tags", Data.TagKind);
        if (Scope.QueryValue is { } site) yield return (SiteScope.QueryKey, site);
    }

    /// <summary>A preset's link, keeping the data source and the site.</summary>
    public string PresetLink(string preset)
    {
        var q = new List<KeyValuePair<string, string?>> { new("preset", preset) };
        if (Data.Source == AnalyticsSource.Raw) q.Add(new("source", "raw"));
        if (Scope.QueryValue is { } site) q.Add(new(SiteScope.QueryKey, site));
        return "/analytics" + Microsoft.AspNetCore.Http.QueryString.Create(q);
    }

    /// <summary>What the site switcher keeps of this view: range, source and tag kind (the heatmap page may not exist on the other site).</summary>
    public HappiTrack.Web.Pages.Shared.SiteSwitcherModel Switcher =>
        new(Scope, "/analytics", HiddenRangeFields(includeTags: true).Where(f => f.Name != SiteScope.QueryKey).ToList());
}
