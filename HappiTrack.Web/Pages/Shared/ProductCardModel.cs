using HappiTrack.Web.Features.Catalog;

namespace HappiTrack.Web.Pages.Shared;

public sealed record ProductCardModel(ProductCard Product, string ReturnUrl);
