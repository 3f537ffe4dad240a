using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace HappiTrack.Web.Tests.Infrastructure;

/// <summary>
/// The app as a real child process: <c>dotnet HappiTrack.Web.dll</c> from the test's own build output
/// (the project reference copies it there with its runtimeconfig and deps), Production environment,
/// real Kestrel on a free loopback port. <see cref="Kill"/> is SIGKILL, nothing runs on the way out.
/// </summary>
public sealed partial class AppProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Uri BaseAddress { get; private set; } = null!;
    /// <summary>From process start until Kestrel reported its address (migrations and seeding included).</summary>
    public TimeSpan StartupTime { get; private set; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    /// <summary>CPU time the app process has used so far (user + system, all threads).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }
    public IReadOnlyCollection<string> Output => _output;

    /// <summary>Real-process tests run once per CI run, in the SQLite pass (they start their own processes and files).</summary>
    public static string? SkipReason => TestPostgres.SuiteRunsOnPostgres
        ? "real-process tests run in the SQLite pass of scripts/test.sh only"
        : null;

    private AppProcess(Process process) => _process = process;

    /// <param name="settings">Configuration as <c>Section:Key</c>; passed as environment variables.</param>
    public static async Task<AppProcess> StartAsync(IReadOnlyDictionary<string, string> settings, TimeSpan? timeout = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "HappiTrack.Web.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("The web app is not in the test output; build the test project first.", dll);
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll },
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Nothing inherited from the test host's environment may change what the app does.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)
                     || k is "DOTNET_ENVIRONMENT" || k.Contains("__", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(key);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        info.Environment["DOTNET_hostBuilder__reloadConfigOnChange"] = "false";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (key, value) in settings) info.Environment[key.Replace(":", "__")] = value;

        var watch = Stopwatch.StartNew();
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var app = new AppProcess(process);
        process.OutputDataReceived += (_, e) => app.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => app.OnLine(e.Data);
        process.Exited += (_, _) => app._listening.TrySetException(new InvalidOperationException(
            "The app exited before it was listening:\n" + string.Join('\n', app._output.TakeLast(40))));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            app.BaseAddress = await app._listening.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
        }
        catch
        {
            app.Kill();
            app.Dispose();
            throw;
        }
        app.StartupTime = watch.Elapsed;
        return app;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        _output.Enqueue(line);
        if (ListeningLine().Match(line) is { Success: true } match)
            _listening.TrySetResult(new Uri(match.Groups[1].Value));
    }

    /// <summary>SIGKILL to the whole tree, then waits until the process is gone.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException) { /* never started or already reaped */ }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}

/// <summary>A fact that starts real app processes: skipped in the PostgreSQL pass, where the same process tests would only repeat.</summary>
public sealed class RealProcessFactAttribute : FactAttribute
{
    public RealProcessFactAttribute() => Skip = AppProcess.SkipReason;
}

/// <summary>
/// Tests that start real app processes and measure them run alone, after the parallel part of the
/// suite, so neither they nor the rest of the suite starve each other of the machine's cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealProcesses
{
    public const string Name = "Real app processes";
}
