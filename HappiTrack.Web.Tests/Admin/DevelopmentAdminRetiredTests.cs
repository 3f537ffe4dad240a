using System.Net;
using HappiTrack.Web.Features.Admin;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace HappiTrack.Web.Tests.Admin;

/// <summary>
/// Issue 15 item 7: a database first started in Development keeps the documented account; run
/// anywhere else, that account must not sign in, and start-up says so.
/// </summary>
public sealed class DevelopmentAdminRetiredTests
{
    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task The_development_admin_of_a_database_from_Development_cannot_sign_in_elsewhere(string environment)
    {
        var path = HappiTrackFactory.NewDatabasePath();
        string devCookie;
        await using (var development = new AdminFactory(path, configureAdmin: false, environment: "Development") { DeleteDatabaseOnDispose = false })
        {
            var login = await AdminFactory.PostLoginAsync(development.NewClient(), AdminSeeder.DevelopmentEmail, AdminSeeder.DevelopmentPassword);
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
            devCookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(IdentitySetup.SessionCookieName + "=", StringComparison.Ordinal)).Split(';')[0];
        }

        // Same database, now with a real admin configured, as a deployment would do.
        await using var production = new AdminFactory(path, configureAdmin: true, environment: environment);
        var refused = await AdminFactory.PostLoginAsync(production.NewClient(), AdminSeeder.DevelopmentEmail, AdminSeeder.DevelopmentPassword);
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Equal(Web.Areas.Admin.Pages.LoginModel.FailureMessage, await AdminFactory.LoginErrorTextAsync(refused));
        Assert.DoesNotContain(refused.Headers.TryGetValues("Set-Cookie", out var set) ? set : [], c => c.StartsWith(IdentitySetup.SessionCookieName + "=", StringComparison.Ordinal));

        Assert.Contains(production.Logs.Entries, e => e.Level == LogLevel.Error
            && e.Message.Contains(AdminSeeder.DevelopmentEmail) && e.Message.Contains(environment));
        Assert.DoesNotContain(production.Logs.Messages, m => m.Contains(AdminSeeder.DevelopmentPassword));

        // A session opened in Development does not carry over either.
        production.Clock.Advance(IdentitySetup.SecurityStampValidationInterval + TimeSpan.FromSeconds(1));
        var request = new HttpRequestMessage(HttpMethod.Get, "/admin");
        request.Headers.Add("Cookie", devCookie);
        var replay = await production.NewClient().SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, replay.StatusCode);
        Assert.Equal(IdentitySetup.LoginPath, replay.Headers.Location?.AbsolutePath);

        // The real admin is unaffected.
        Assert.Equal(HttpStatusCode.Redirect, (await AdminFactory.PostLoginAsync(production.NewClient(), AdminFactory.AdminEmail, AdminFactory.AdminPassword)).StatusCode);
    }
}
