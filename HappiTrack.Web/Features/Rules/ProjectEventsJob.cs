using Hangfire;
using HappiTrack.Web.Infrastructure;

namespace HappiTrack.Web.Features.Rules;

/// <summary>
/// The project-events job: Hangfire's entry point for <see cref="EventProjector"/>, run on
/// <c>Jobs:Cron:ProjectEvents</c> and whenever <see cref="Shared.IProjectEventsTrigger.EventsWritten"/> asks.
/// </summary>
public sealed class ProjectEventsJob(EventProjector projector, HangfireTriggers triggers)
{
    /// <summary>Hangfire's recurring-job id and the projector's checkpoint name; both are stored, so it never changes.</summary>
    public const string Id = "brain:project-events";

    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(CancellationToken ct)
    {
        triggers.ProjectionStarted();
        return projector.RunAsync(ct);
    }
}
