using HappiTrack.Web.Features.Sites;

namespace HappiTrack.Web.Pages.Shared;

/// <summary>The site switcher partial: the scope, the view it submits to, and the view's other query values to keep.</summary>
public sealed record SiteSwitcherModel(SiteScopeSelection Scope, string Action, IEnumerable<(string Name, string Value)> Hidden);
