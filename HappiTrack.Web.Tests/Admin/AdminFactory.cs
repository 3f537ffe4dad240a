using HappiTrack.Web.Data;
using System.Collections.Concurrent;
using System.Net;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HappiTrack.Web.Tests.Admin;

/// <summary>The app with a configured first admin and API token, and every log line captured.</summary>
public class AdminFactory : HappiTrackFactory
{
    public const string AdminEmail = "owner@example.com";
    public const string AdminPassword = "correct horse battery";
    public const string ConfiguredApiToken = "configured-token-for-tests-0123456789";

    public AdminFactory() : this(NewDatabasePath()) { }

    public AdminFactory(string databasePath, bool configureAdmin = true, string? environment = null, DatabaseProvider? provider = null)
        : base(databasePath, provider ?? SuiteProvider)
    {
        Environment = environment;
        if (!configureAdmin) return;
        Settings["Admin:Email"] = AdminEmail;
        Settings["Admin:Password"] = AdminPassword;
        Settings["Admin:ApiToken"] = ConfiguredApiToken;
    }

    public string? Environment { get; }
    public CapturedLogs Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        if (Environment is not null) builder.UseEnvironment(Environment);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
    }

    public HttpClient NewClient() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    public async Task CreateUserAsync(string email, string password, string role)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var user = new IdentityUser { UserName = email, Email = email, EmailConfirmed = true };
        var result = await users.CreateAsync(user, password);
        Assert.True(result.Succeeded, string.Join(" ", result.Errors.Select(e => e.Description)));
        Assert.True((await users.AddToRoleAsync(user, role)).Succeeded);
    }

    /// <summary>Signs in through the real login form; returns the POST's response.</summary>
    public static async Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string email, string password)
    {
        var token = await AntiforgeryTokenAsync(client, "/admin/login");
        return await client.PostAsync("/admin/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Email"] = email,
            ["Input.Password"] = password,
            ["__RequestVerificationToken"] = token,
        }));
    }

    public async Task<HttpClient> SignedInClientAsync(string email, string password)
    {
        var client = NewClient();
        var response = await PostLoginAsync(client, email, password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    public Task<HttpClient> AdminClientAsync() => SignedInClientAsync(AdminEmail, AdminPassword);

    /// <summary>The form token a page rendered for this client's current identity.</summary>
    public static async Task<string> AntiforgeryTokenAsync(HttpClient client, string path)
    {
        var html = await client.GetStringAsync(path);
        var document = new HtmlParser().ParseDocument(html);
        var input = document.QuerySelector("input[name=__RequestVerificationToken]");
        Assert.NotNull(input);
        return input.GetAttribute("value")!;
    }

    public static async Task<string> LoginErrorTextAsync(HttpResponseMessage response)
    {
        var document = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        return document.QuerySelector("#login-error")?.TextContent.Trim() ?? "";
    }
}

public sealed class CapturedLogs : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Entries { get; } = new();

    public IEnumerable<string> Messages => Entries.Select(e => e.Message);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void Dispose() { }

    private sealed class Logger(CapturedLogs sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) sink.Entries.Enqueue((logLevel, category, formatter(state, exception)));
        }
    }
}
