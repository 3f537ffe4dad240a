using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.E2E.Infrastructure;

/// <summary>The real app on real Kestrel, on a free loopback port, over its own SQLite file.</summary>
public sealed class AppServer : WebApplicationFactory<Program>
{
    public string DatabasePath { get; } = Path.Combine(Path.GetTempPath(), $"happitrack-e2e-{Guid.NewGuid():N}.db");
    public Dictionary<string, string?> Settings { get; } = new();
    public Uri BaseAddress { get; private set; } = null!;

    public void Start()
    {
        UseKestrel(0);
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.First().Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1"));
    }

    /// <summary>Reads or writes the app's database in a scope of its own, as a test's look behind the page.</summary>
    public async Task<T> WithDbAsync<T>(Func<HappiTrack.Web.Data.AppDbContext, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<HappiTrack.Web.Data.AppDbContext>());
    }

    /// <summary>Runs one of the app's jobs now, in a scope of its own, instead of waiting for its schedule.</summary>
    public async Task RunAsync<TJob>(Func<TJob, Task> run) where TJob : notnull
    {
        await using var scope = Services.CreateAsyncScope();
        await run(scope.ServiceProvider.GetRequiredService<TJob>());
    }

    /// <summary>An Admin account for signing in through the real login page; created once per app.</summary>
    public async Task EnsureAdminAsync(string email, string password)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        if (await users.FindByEmailAsync(email) is not null) return;
        var user = new IdentityUser { UserName = email, Email = email, EmailConfirmed = true };
        Assert.True((await users.CreateAsync(user, password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, AuthPolicies.AdminRole)).Succeeded);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Default", $"Data Source={DatabasePath}");
        // The walkthroughs follow one product through hero, cart and nudges; the daily rotation would change it by date.
        builder.UseSetting("Shop:FeaturedDeal", HappiTrack.Web.Features.Catalog.CatalogSeed.FeaturedSlug);
        // The walkthroughs expect the rules to message every eligible contact; the rules' 10 % default holdout would drop one now and then.
        foreach (var rule in new[] { "Rules:InterestDiscount:HoldoutPercent", "Rules:CartRescue:HoldoutPercent", "Rules:Vip:HoldoutPercent" })
            builder.UseSetting(rule, "0");
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            try { File.Delete(DatabasePath + suffix); } catch (IOException) { }
        }
    }
}
