namespace HappiTrack.Web.Features.Shared;

/// <summary>
/// Asks for the project-events job (<c>Rules/ProjectEventsJob</c>, the <c>EventProjector</c>) to run soon.
/// Call it after committing events (tracking writer, checkout); it enqueues at most one run at a time,
/// and the recurring job covers anything missed.
/// </summary>
public interface IProjectEventsTrigger
{
    void EventsWritten();
}
