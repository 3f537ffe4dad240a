namespace HappiTrack.Web.Tests.Infrastructure;

/// <summary>Test classes that start real Hangfire servers; xUnit runs a collection's classes one after another.</summary>
[CollectionDefinition(Name)]
public sealed class RealHangfireServers
{
    public const string Name = "Real Hangfire servers";
}
