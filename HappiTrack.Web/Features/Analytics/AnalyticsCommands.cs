namespace HappiTrack.Web.Features.Analytics;

public static class AnalyticsCommands
{
    /// <summary>
    /// <c>dotnet run --project HappiTrack.Web -- seed-demo [--events N] [--visitors N] [--contacts N] [--orders N] [--days N] [--reset]</c>:
    /// writes the demo history and exits instead of serving. Returns false when no command was given.
    /// </summary>
    public static async Task<bool> RunAnalyticsCommandAsync(this WebApplication app, string[] args)
    {
        if (args.Length == 0 || args[0] != "seed-demo") return false;
        if (!DemoDataOptions.TryParse(args[1..], out var options, out var error))
        {
            await Console.Error.WriteLineAsync($"seed-demo: {error}");
            Environment.ExitCode = 2;
            return true;
        }
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DemoDataGenerator>().RunAsync(options, Console.Out);
        return true;
    }
}
