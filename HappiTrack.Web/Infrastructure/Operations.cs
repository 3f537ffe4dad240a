using Microsoft.Extensions.Options;
using System.Diagnostics;
using HappiTrack.Web.Features.Admin;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace HappiTrack.Web.Infrastructure;

/// <summary>
/// What an operator reads: one line per request and a start-up banner. Levels live in
/// appsettings.json (SQL, Hangfire and framework chatter at Warning; README "Logs").
/// </summary>
public static class Operations
{
    /// <summary>The console format an operator reads (<see cref="OperatorConsoleFormatter"/>), chosen in appsettings.json.</summary>
    public static IServiceCollection AddOperations(this IServiceCollection services) =>
        services.AddLogging(logging => logging.AddConsoleFormatter<OperatorConsoleFormatter, ConsoleFormatterOptions>());

    /// <summary>
    /// Call first on the built app, before any other middleware, and before <c>app.Run()</c>: the request
    /// line must see the final status (after the exception handler), and the banner's start-up callback must
    /// be registered before the host's console lifetime registers its own, because the host runs start-up
    /// callbacks last-registered first, and the banner must come after the lifetime's lines.
    /// </summary>
    public static WebApplication UseOperations(this WebApplication app)
    {
        app.UseMiddleware<RequestLogMiddleware>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(StartupBanner.Category);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            logger.LogInformation("{Banner}", StartupBanner.Compose(app.Environment, app.Services.GetRequiredService<IOptions<AdminOptions>>().Value, addresses));
        });
        return app;
    }
}

/// <summary>
/// One line per request: method, path (never the query, which can carry discount and tracked-link
/// secrets), status and duration. Accepted tracker batches and served static files go to Debug:
/// they are most of the traffic and say nothing an operator acts on.
/// </summary>
internal sealed partial class RequestLogMiddleware(RequestDelegate next, ILoggerFactory loggers)
{
    /// <summary>Short, so the line stays short; <c>Logging:LogLevel:HappiTrack.Requests=Warning</c> silences it.</summary>
    public const string Category = "HappiTrack.Requests";

    private readonly ILogger logger = loggers.CreateLogger(Category);

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var failed = true;
        try
        {
            await next(context);
            failed = false;
        }
        finally
        {
            // An exception that escapes every handler becomes a 500 in the server, after this point.
            var status = failed ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
            var level = IsRoutine(context, status) ? LogLevel.Debug : LogLevel.Information;
            if (logger.IsEnabled(level))
            {
                var path = DisplayPath(context.Request.PathBase.Add(context.Request.Path).Value ?? "/");
                Request(logger, level, context.Request.Method, path, status, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
    }

    internal static bool IsRoutine(HttpContext context, int status)
    {
        var path = context.Request.Path;
        if (status is >= 200 and < 300 && path.StartsWithSegments(Features.Tracking.TrackEndpoint.Route, StringComparison.OrdinalIgnoreCase))
            return true;
        return status is StatusCodes.Status200OK or StatusCodes.Status304NotModified
            && context.GetEndpoint() is null
            && Path.HasExtension(path.Value);
    }

    /// <summary>A tracked link's code identifies a contact's nudge; the log keeps only that one was followed.</summary>
    internal static string DisplayPath(string path) =>
        path.StartsWith("/r/", StringComparison.OrdinalIgnoreCase) ? "/r/…" : path;

    [LoggerMessage(EventId = 1, Message = "{Method} {Path} {Status} {ElapsedMs:0} ms")]
    private static partial void Request(ILogger logger, LogLevel level, string method, string path, int status, double elapsedMs);
}

/// <summary>The last thing <c>dotnet run</c> prints: where the store and the admin are, and in Development how to sign in.</summary>
public static class StartupBanner
{
    public const string Category = "HappiTrack.Startup";

    public static string Compose(IHostEnvironment environment, AdminOptions admin, IEnumerable<string> addresses)
    {
        var root = BaseUrl(addresses);
        var lines = new List<string>
        {
            $"HappiTrack is running ({environment.EnvironmentName}).",
            $"  Store: {root}/",
            $"  Admin: {root}{IdentitySetup.LoginPath}",
        };
        if (environment.IsDevelopment())
        {
            var email = admin.Email;
            lines.Add(string.IsNullOrWhiteSpace(email)
                ? $"  Sign in as {AdminSeeder.DevelopmentEmail} / {AdminSeeder.DevelopmentPassword} (Development only)"
                : $"  Sign in as {email.Trim()} with the password in Admin:Password");
        }
        lines.Add("Press Ctrl+C to stop.");
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>The first address a person can open: https before http, wildcard hosts shown as localhost.</summary>
    internal static string BaseUrl(IEnumerable<string> addresses)
    {
        var all = addresses.ToList();
        var chosen = all.FirstOrDefault(a => a.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) ?? all.FirstOrDefault();
        if (chosen is null) return "http://localhost";
        chosen = chosen.TrimEnd('/');
        foreach (var wildcard in new[] { "://+:", "://*:", "://[::]:", "://0.0.0.0:" })
            chosen = chosen.Replace(wildcard, "://localhost:", StringComparison.Ordinal);
        return chosen;
    }
}

/// <summary>
/// One entry, one line: "03:04:05 info: Category: message" (UTC), so a request is one line and the log
/// can be grepped; an exception's stack follows on its own lines. The start-up banner is printed as
/// it is, framed by blank lines, because it is for a person to read.
/// </summary>
public sealed class OperatorConsoleFormatter() : ConsoleFormatter(Name)
{
    public new const string Name = "happitrack";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (logEntry.Category == StartupBanner.Category)
        {
            textWriter.Write(Environment.NewLine + message + Environment.NewLine + Environment.NewLine);
            return;
        }
        var line = $"{DateTime.UtcNow:HH:mm:ss} {Level(logEntry.LogLevel)}: {logEntry.Category}: {message.ReplaceLineEndings(" ")}";
        textWriter.Write(logEntry.Exception is null
            ? line + Environment.NewLine
            : line + Environment.NewLine + logEntry.Exception + Environment.NewLine);
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };
}
