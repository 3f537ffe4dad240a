namespace HappiTrack.Web.Features.Tracking;

/// <summary>Settings of the <c>Tracking</c> configuration section.</summary>
public sealed class TrackingOptions
{
    public const string Section = "Tracking";

    /// <summary><c>Batched</c> (group commit through one writer) or <c>Naive</c> (one SaveChanges per request, for the benchmark).</summary>
    public WriterMode Writer { get; set; } = WriterMode.Batched;
    /// <summary>Requests waiting for the writer; when full, /api/track answers 503 at once.</summary>
    public int QueueCapacity { get; set; } = 4096;
    /// <summary>Upper bound of events committed in one transaction.</summary>
    public int MaxBatchEvents { get; set; } = 4000;
    /// <summary>How long a request waits for its commit before giving up with 503.</summary>
    public TimeSpan AcknowledgeTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Client timestamps are clamped to server time ± this window.</summary>
    public TimeSpan ClientTimeWindow { get; set; } = TimeSpan.FromMinutes(10);
    public TrackingRateLimitOptions RateLimit { get; set; } = new();
}

public enum WriterMode { Batched, Naive }

public sealed class TrackingRateLimitOptions
{
    /// <summary>Requests one visitor cookie may make per window.</summary>
    public int VisitorPermits { get; set; } = 120;
    /// <summary>Requests one IP address may make per window (many visitors can share a NAT).</summary>
    public int IpPermits { get; set; } = 3000;
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}
