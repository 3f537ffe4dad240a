namespace HappiTrack.Web.Features.Shared;

/// <summary>
/// Asks for the event projector to run soon. Call it after committing events (tracking writer,
/// checkout); it enqueues at most one run at a time, and the recurring job covers anything missed.
/// </summary>
public interface IBrainTrigger
{
    void Poke();
}
