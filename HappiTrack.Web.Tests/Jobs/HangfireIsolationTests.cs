using HappiTrack.Web.Data;
using HappiTrack.Web.Tests.Infrastructure;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Brain;

/// <summary>
/// Hangfire's default registrations hand every app the process-wide <c>JobStorage.Current</c> and
/// <c>JobActivator.Current</c>, which the last app to start overwrites. Two apps in one process (the
/// tests, the scale-out hosts) must each run their jobs in their own container and database.
/// </summary>
public sealed class HangfireIsolationTests
{
    [Fact]
    public async Task Each_app_activates_its_jobs_in_its_own_container_even_after_another_app_started()
    {
        await using var first = new HappiTrackFactory();
        _ = first.Services;
        await using var second = new HappiTrackFactory();
        _ = second.Services;

        var firstActivator = first.Services.GetRequiredService<JobActivator>();
        Assert.NotSame(firstActivator, second.Services.GetRequiredService<JobActivator>());
        Assert.NotSame(first.Services.GetRequiredService<JobStorage>(), second.Services.GetRequiredService<JobStorage>());

        // A job scope of the first app reaches the first app's database.
        string? ConnectionOf(IServiceProvider services)
        {
            using var own = services.CreateScope();
            return own.ServiceProvider.GetRequiredService<AppDbContext>().Database.GetConnectionString();
        }
        // The ASP.NET Core activator opens a DI scope and needs nothing from the job context.
        using var scope = firstActivator.BeginScope((JobActivatorContext)null!);
        var db = (AppDbContext)scope.Resolve(typeof(AppDbContext));
        Assert.Equal(ConnectionOf(first.Services), db.Database.GetConnectionString());
        Assert.NotEqual(ConnectionOf(second.Services), db.Database.GetConnectionString());
    }
}
