namespace HappiTrack.Web.Features.Shared;

/// <summary>
/// The shops the brain serves (issue 20). Trusty, our own storefront, is always site 1: every row written
/// before sites existed, and everything Trusty's own pages write, belongs to it. The Sites feature owns the
/// <c>Site</c> rows; lower features only carry the id, so they need not depend on it.
/// </summary>
public static class SiteIds
{
    public const int Trusty = 1;
}
