using Hangfire;

namespace HappiTrack.Web.Features.Crm;

/// <summary>The <c>campaigns:start</c> job: writes the messages of scheduled campaigns that are due.</summary>
public sealed class CampaignStartJob(CampaignService campaigns)
{
    public const string Id = "campaigns:start";

    /// <summary>Hangfire's entry point (recurring on <c>Jobs:Cron:Campaigns</c>); a missed run is caught up by the next one.</summary>
    [AutomaticRetry(Attempts = 0)]
    public Task<int> RunAsync(CancellationToken ct) => campaigns.StartDueAsync(ct);
}
