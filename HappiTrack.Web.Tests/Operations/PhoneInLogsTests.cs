using HappiTrack.Web.Features.Nudges;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HappiTrack.Web.Tests.Operations;

/// <summary>
/// Issue 16: no full phone number in the log outside Development (the emulated WhatsApp dispatch). The
/// in-process Testing host keeps the link: the suite reads sends from it (LoggedApp.SentNudgeIds).
/// </summary>
public sealed class PhoneInLogsTests
{
    private const string Phone = "+4915112345678";
    private static readonly OutgoingMessage Message = new(42, "campaign", Phone, "Ada", "Hi Ada! https://shop.example/r/abc", "https://shop.example/r/abc");

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task Outside_Development_the_log_dispatcher_never_writes_the_full_number(string environment)
    {
        var log = new ListLogger<LogNudgeDispatcher>();

        var result = await new LogNudgeDispatcher(log, new Env(environment)).SendAsync(Message, CancellationToken.None);

        Assert.True(result.Succeeded);
        var line = Assert.Single(log.Lines);
        Assert.Contains("nudge 42", line);
        Assert.Contains("+49*********78", line);
        Assert.DoesNotContain("4915112345678", line);
        Assert.DoesNotContain("wa.me", line);
    }

    [Fact]
    public async Task In_Development_the_line_carries_the_wa_me_link_to_click()
    {
        var log = new ListLogger<LogNudgeDispatcher>();

        await new LogNudgeDispatcher(log, new Env("Development")).SendAsync(Message, CancellationToken.None);

        Assert.Contains("https://wa.me/4915112345678?text=", Assert.Single(log.Lines));
    }

    private sealed class Env(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "HappiTrack.Web";
        public string ContentRootPath { get; set; } = "/";
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}

/// <summary>Keeps every formatted message.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    public List<string> Lines { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Add(formatter(state, exception));
}
