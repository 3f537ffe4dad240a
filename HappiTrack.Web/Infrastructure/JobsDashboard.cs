using Hangfire.Dashboard;

namespace HappiTrack.Web.Infrastructure;

/// <summary>
/// Hangfire's dashboard at <c>/admin/jobs</c> (mapped by <c>AdminArea.MapAdmin</c>) is for admins
/// only. Its endpoint carries the <see cref="AuthPolicies.AdminPages"/> policy (anonymous → login,
/// Analyst → 403); this filter repeats the check inside Hangfire, so the dashboard stays closed even
/// if it is ever mounted without the endpoint policy (Hangfire's default would let local requests in).
/// </summary>
public sealed class AdminOnlyDashboardFilter : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context)
    {
        var user = context.GetHttpContext().User;
        return user.Identity?.IsAuthenticated == true && user.IsInRole(AuthPolicies.AdminRole);
    }
}
