namespace HappiTrack.Web.Features.Analytics;

/// <summary>A chart canvas and its JSON data block, with the text a screen reader announces.</summary>
public sealed record ChartView(ChartSpec Chart, string Description);

/// <summary>A table of a chart's numbers plus the query string its CSV link repeats.</summary>
public sealed record DataTableView(AnalyticsTable Table, string Query);
