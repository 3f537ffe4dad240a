using HappiTrack.Web.Features.Cart;

namespace HappiTrack.Web.Pages.Shared;

/// <summary>The drawer's cart plus where its forms send the shopper back to.</summary>
public sealed record CartDrawerModel(CartView Cart, string ReturnUrl);
