using Microsoft.Extensions.FileProviders;

namespace HappiTrack.Web.Features.Embed;

/// <summary>
/// <c>GET /t.js</c>: the embeddable loader (wwwroot/js/t.min.js, built from t.js by tools/tracker/build.sh).
/// Its URL is pasted into shops' HTML and cannot carry a version, so it is cached for an hour only: a fix
/// reaches every shop within that time. Cross-Origin-Resource-Policy lets pages on other origins run it.
/// </summary>
internal static class TrackerScriptEndpoint
{
    public const string Route = "/t.js";
    public const string FilePath = "js/t.min.js";

    public static IResult Handle(HttpContext http, IWebHostEnvironment environment)
    {
        var file = environment.WebRootFileProvider.GetFileInfo(FilePath);
        if (!file.Exists) return TypedResults.NotFound();
        var headers = http.Response.Headers;
        headers.CacheControl = "public, max-age=3600";
        headers["Cross-Origin-Resource-Policy"] = "cross-origin";
        headers.XContentTypeOptions = "nosniff";
        return TypedResults.Stream(file.CreateReadStream(), "text/javascript; charset=utf-8",
            lastModified: file.LastModified, entityTag: null);
    }
}
