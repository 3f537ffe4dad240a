using HappiTrack.Web.Tests.Infrastructure;

namespace HappiTrack.Web.Tests.Storefront;

/// <summary>xunit class fixtures need a single public constructor; HappiTrackFactory has two.</summary>
public sealed class StorefrontFactory : HappiTrackFactory;
