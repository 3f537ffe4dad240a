using Hangfire;
using Hangfire.Dashboard;

namespace HappiTrack.Web.Infrastructure;

/// <summary>
/// Hangfire's dashboard at <c>/admin/jobs</c>, for admins only. The endpoint carries the same
/// <see cref="AuthPolicies.AdminPages"/> policy as the admin area (anonymous → login, Analyst → 403);
/// <see cref="AdminOnlyDashboardFilter"/> repeats the check inside Hangfire, whose own default
/// would let any local request in.
/// </summary>
public static class JobsDashboard
{
    public const string Path = "/admin/jobs";

    public static IEndpointRouteBuilder MapJobsDashboard(this IEndpointRouteBuilder app)
    {
        app.MapHangfireDashboard(Path, new DashboardOptions
        {
            Authorization = [new AdminOnlyDashboardFilter()],
            AppPath = "/admin",
            DashboardTitle = "HappiTrack jobs",
            DisplayStorageConnectionString = false,
        }).RequireAuthorization(AuthPolicies.AdminPages);
        return app;
    }
}

public sealed class AdminOnlyDashboardFilter : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context)
    {
        var user = context.GetHttpContext().User;
        return user.Identity?.IsAuthenticated == true && user.IsInRole(AuthPolicies.AdminRole);
    }
}
