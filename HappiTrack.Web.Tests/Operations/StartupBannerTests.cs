using HappiTrack.Web.Features.Admin;
using HappiTrack.Web.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace HappiTrack.Web.Tests.Operations;

/// <summary>Issue 16: the banner <c>dotnet run</c> ends with (the real-process order is in <see cref="LogVolumeTests"/>).</summary>
public sealed class StartupBannerTests
{
    [Fact]
    public void Development_banner_gives_the_store_the_admin_and_the_seeded_credentials()
    {
        var banner = StartupBanner.Compose(Environment("Development"), Configuration(), ["http://localhost:5080"]);

        Assert.Contains("Store: http://localhost:5080/", banner);
        Assert.Contains("Admin: http://localhost:5080/admin/login", banner);
        Assert.Contains($"{AdminSeeder.DevelopmentEmail} / {AdminSeeder.DevelopmentPassword}", banner);
    }

    [Fact]
    public void Development_with_a_configured_admin_names_the_account_but_never_prints_its_password()
    {
        var banner = StartupBanner.Compose(Environment("Development"),
            Configuration(("Admin:Email", "owner@shop.example"), ("Admin:Password", "s3cret-pass-phrase")), ["http://localhost:5080"]);

        Assert.Contains("owner@shop.example", banner);
        Assert.DoesNotContain("s3cret-pass-phrase", banner);
        Assert.DoesNotContain(AdminSeeder.DevelopmentPassword, banner);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void Outside_Development_the_banner_has_no_credentials(string environment)
    {
        var banner = StartupBanner.Compose(Environment(environment), Configuration(), ["http://[::]:8080"]);

        Assert.Contains("Store: http://localhost:8080/", banner);
        Assert.DoesNotContain(AdminSeeder.DevelopmentPassword, banner);
        Assert.DoesNotContain("Sign in", banner);
    }

    [Fact]
    public void Https_is_preferred_and_wildcard_hosts_become_localhost()
    {
        Assert.Equal("https://localhost:7001", StartupBanner.BaseUrl(["http://+:5000", "https://+:7001/"]));
        Assert.Equal("http://localhost:5000", StartupBanner.BaseUrl(["http://0.0.0.0:5000"]));
    }

    private static AdminOptions Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build()
            .GetSection(AdminOptions.Section).Get<AdminOptions>() ?? new AdminOptions();

    private static IHostEnvironment Environment(string name) => new FakeEnvironment { EnvironmentName = name };

    private sealed class FakeEnvironment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "";
        public string ApplicationName { get; set; } = "HappiTrack.Web";
        public string ContentRootPath { get; set; } = "/";
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
