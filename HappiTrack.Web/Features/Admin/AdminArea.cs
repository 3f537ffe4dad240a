using System.Security.Claims;
using Hangfire;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Features.Admin;

public static class AdminArea
{
    /// <summary>Pages of the Admin area that must work without a session.</summary>
    public static readonly IReadOnlyList<string> AnonymousPages = ["/Login", "/Logout"];

    /// <summary>
    /// Authorises whole areas by convention, so a page added later cannot be forgotten:
    /// Areas/Admin needs role Admin, Areas/Analytics role Admin or Analyst.
    /// </summary>
    public static IServiceCollection AddAdminArea(this IServiceCollection services)
    {
        services.Configure<RazorPagesOptions>(options =>
        {
            options.Conventions.AuthorizeAreaFolder("Admin", "/", AuthPolicies.AdminPages);
            foreach (var page in AnonymousPages)
                options.Conventions.AllowAnonymousToAreaPage("Admin", page);
            options.Conventions.AuthorizeAreaFolder("Analytics", "/", AuthPolicies.AnalyticsAccess);
            // Staff pages show personal data; keep them out of browser and proxy caches.
            foreach (var area in new[] { "Admin", "Analytics" })
            {
                // [ResponseCache] only acts on MVC actions, not pages: a result filter does run for pages.
                options.Conventions.AddAreaFolderApplicationModelConvention(area, "/", model =>
                    model.Filters.Add(new NoStoreResultFilter()));
            }
        });
        // Area folders are capitalised; URLs people type and share are not.
        services.Configure<RouteOptions>(options => options.LowercaseUrls = true);
        return services;
    }

    public const string JobsDashboardPath = "/admin/jobs";

    /// <summary>The admin API and Hangfire's dashboard, both for role Admin only.</summary>
    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        app.MapAdminApi();
        // Hangfire's own filter allows only local requests; authorisation is the AdminPages policy, and
        // AdminOnlyDashboardFilter checks the Admin role again inside Hangfire.
        app.MapHangfireDashboard(JobsDashboardPath, new DashboardOptions
            {
                Authorization = [new AdminOnlyDashboardFilter()],
                AppPath = "/admin",
                DashboardTitle = "HappiTrack jobs",
                DisplayStorageConnectionString = false,
            })
            .RequireAuthorization(AuthPolicies.AdminPages);
        return app;
    }

    /// <summary>
    /// <c>GET /api/admin/me</c> lets an integrator check which credential the API sees; the token
    /// endpoints back the API-tokens page for scripts (the page itself uses <see cref="ApiTokenService"/>).
    /// </summary>
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/admin/me", (ClaimsPrincipal user) => TypedResults.Ok(new AdminApiCaller(
                user.Identity!.Name!,
                user.Identity.AuthenticationType == ApiTokenAuthenticationHandler.SchemeName ? "bearer" : "session",
                user.FindAll(ClaimTypes.Role).Select(c => c.Value).Order().ToList())))
            .RequireAdminApi()
            .WithName("WhoAmI")
            .WithTags("Admin")
            .WithSummary("Which credential the API sees: its name, bearer or session, and roles");
        app.MapGroup("/api/admin/api-tokens")
            .RequireAdminApi(sessionOnly: true)
            .WithTags("Admin")
            .MapApiTokenEndpoints();
        return app;
    }
}

public sealed record AdminApiCaller(string Name, string AuthenticatedBy, IReadOnlyList<string> Roles);

/// <summary>
/// Marks a response as not storable by browsers or proxies. The value is the one antiforgery sets on
/// every page with a form: with "no-store" alone it would override it and log a warning per page view.
/// </summary>
internal sealed class NoStoreResultFilter : Microsoft.AspNetCore.Mvc.Filters.IResultFilter
{
    public const string CacheControl = "no-cache, no-store";

    public void OnResultExecuting(Microsoft.AspNetCore.Mvc.Filters.ResultExecutingContext context)
    {
        context.HttpContext.Response.Headers.CacheControl = CacheControl;
        context.HttpContext.Response.Headers.Pragma = "no-cache";
    }

    public void OnResultExecuted(Microsoft.AspNetCore.Mvc.Filters.ResultExecutedContext context) { }
}
