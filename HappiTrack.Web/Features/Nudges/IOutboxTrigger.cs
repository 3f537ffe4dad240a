namespace HappiTrack.Web.Features.Nudges;

/// <summary>Asks for the outbox to be processed soon; call it after committing a nudge.</summary>
public interface IOutboxTrigger
{
    void NudgeWritten();
}
