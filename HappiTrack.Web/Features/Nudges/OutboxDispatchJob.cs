using Hangfire;
using HappiTrack.Web.Infrastructure;

namespace HappiTrack.Web.Features.Nudges;

/// <summary>
/// The outbox-dispatch job: Hangfire's entry point for <see cref="OutboxProcessor"/>, run on
/// <c>Jobs:Cron:Outbox</c> and whenever <see cref="IOutboxTrigger.NudgeWritten"/> asks.
/// </summary>
public sealed class OutboxDispatchJob(OutboxProcessor processor, HangfireTriggers triggers)
{
    public const string Id = "outbox:dispatch";

    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(CancellationToken ct)
    {
        triggers.DispatchStarted();
        return processor.RunAsync(ct);
    }
}
