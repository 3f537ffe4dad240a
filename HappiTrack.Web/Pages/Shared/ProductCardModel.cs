using HappiTrack.Web.Features.Catalog;

namespace HappiTrack.Web.Pages.Shared;

/// <param name="HeadingLevel">2 when the list's own heading is the page's h1 (a search), so levels do not skip.</param>
/// <param name="Price">Today's deal price of the card's product; null shows the regular price.</param>
public sealed record ProductCardModel(ProductCard Product, string ReturnUrl, int HeadingLevel = 3, ShownPrice? Price = null);
