using Microsoft.AspNetCore.Http.HttpResults;

namespace HappiTrack.Web.Features.Catalog;

/// <summary>The prototype's static URLs, kept alive with permanent redirects so old links and bookmarks still land.</summary>
public static class LegacyRedirects
{
    public static IEndpointRouteBuilder MapLegacyRedirects(this IEndpointRouteBuilder app)
    {
        string[] methods = [HttpMethods.Get, HttpMethods.Head];
        app.MapMethods("/index.html", methods, () => TypedResults.Redirect("/", permanent: true));
        app.MapMethods("/admin.html", methods, () => TypedResults.Redirect("/admin", permanent: true));
        app.MapMethods("/analytics.html", methods, () => TypedResults.Redirect("/analytics", permanent: true));
        app.MapMethods("/product.html", methods, (string? id) => ProductRedirect(id));
        app.MapMethods("/checkout.html", methods, (string? token) => CheckoutRedirect(token));
        return app;
    }

    internal static RedirectHttpResult ProductRedirect(string? id) =>
        TypedResults.Redirect(Slugs.IsSlug(id) ? $"/product/{id}" : "/", permanent: true);

    internal static RedirectHttpResult CheckoutRedirect(string? token) =>
        TypedResults.Redirect(
            string.IsNullOrEmpty(token) ? "/checkout" : $"/checkout?token={Uri.EscapeDataString(token[..Math.Min(token.Length, 256)])}",
            permanent: true);
}
