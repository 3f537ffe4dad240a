namespace HappiTrack.Web.Features.Cart;

/// <summary>One line of a rescued cart, as saved in the nudge and restored by <c>/r/{code}</c>.</summary>
public sealed record CartSnapshotLine(int ProductId, int Quantity);
