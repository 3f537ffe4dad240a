using HappiTrack.Web.Features.Sites;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace HappiTrack.Web.Features.Analytics;

public static class AnalyticsServiceCollectionExtensions
{
    public static IServiceCollection AddAnalytics(this IServiceCollection services)
    {
        services.AddSingleton<ShopCalendar>();
        services.AddScoped<AnalyticsQueries>();
        services.AddScoped<RollupService>();
        services.AddScoped<AnalyticsDashboard>();
        services.AddScoped<AdminOverview>();
        services.AddScoped<DemoDataGenerator>();
        services.AddScoped<AnalyticsJobs>();
        services.AddRecurringJob<AnalyticsJobs>(RollupService.RecurringJobId, j => j.RefreshRollups(CancellationToken.None), jobs => jobs.AnalyticsRollupCron);
        return services;
    }

    /// <summary>The CSV exports (Areas/Analytics is authorised by AddAdminArea's convention).</summary>
    public static IEndpointRouteBuilder MapAnalytics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/analytics/export/{chart}.csv", ExportCsvAsync)
            .RequireAuthorization(AuthPolicies.AnalyticsAccess)
            .WithName("AnalyticsCsvExport");
        return app;
    }

    /// <summary>The same table the page shows, as CSV; the query string is the page's own.</summary>
    internal static async Task<Results<FileContentHttpResult, ValidationProblem, ProblemHttpResult>> ExportCsvAsync(
        string chart, string? preset, string? from, string? to, string? source, string? page, string? tags, string? site,
        AnalyticsDashboard dashboard, SiteScope siteScope, ShopCalendar calendar, HttpContext http, CancellationToken ct)
    {
        http.Response.Headers.CacheControl = "no-store";
        var selection = RangeSelection.Resolve(preset, from, to, calendar.Today);
        if (!selection.IsValid)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { [selection.ErrorField!] = [selection.Error!] }, title: "Invalid date range");
        }
        // A file is read away from the page, so a wrong site is refused rather than quietly exported for every site.
        var scope = await siteScope.ResolveAsync(site, ct);
        if (scope.Notice is not null)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { [SiteScope.QueryKey] = [scope.Notice] }, title: "Unknown site");
        }
        var data = await dashboard.BuildAsync(selection.Range, ParseSource(source), page, tags, ct, scope.SiteId);
        var table = data.Tables.FirstOrDefault(t => t.Id == chart);
        if (table is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown chart",
                detail: $"Charts: {string.Join(", ", data.Tables.Select(t => t.Id))}.");
        }
        var bytes = System.Text.Encoding.UTF8.GetBytes(CsvExport.Write(table));
        return TypedResults.File(bytes, "text/csv; charset=utf-8",
            $"{table.Id}{(scope.SiteId is { } id ? $"-site{id}" : "")}-{selection.Range.From:yyyy-MM-dd}-{selection.Range.To:yyyy-MM-dd}.csv");
    }

    internal static AnalyticsSource ParseSource(string? source) =>
        string.Equals(source, "raw", StringComparison.OrdinalIgnoreCase) ? AnalyticsSource.Raw : AnalyticsSource.Rollup;
}
