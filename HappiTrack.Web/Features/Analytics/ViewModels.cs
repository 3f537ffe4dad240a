using System.Text.Json;

namespace HappiTrack.Web.Features.Analytics;

/// <summary>A chart canvas and its JSON data block, with the text a screen reader announces.</summary>
public sealed record ChartView(ChartSpec Chart, string Description);

/// <summary>A table of a chart's numbers plus the query string its CSV link repeats.</summary>
public sealed record DataTableView(AnalyticsTable Table, string Query);

/// <summary>
/// The one serializer configuration for the page's JSON blocks. Shared, because every new options
/// instance rebuilds its reflection metadata cache, which cost more than the rest of rendering.
/// </summary>
public static class AnalyticsJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
