using System.Net.Http.Headers;
using System.Text;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace HappiTrack.Web.Tests.Tracking;

/// <summary>Requests as a browser's tracker sends them.</summary>
internal static class TrackingHttp
{
    public const string BrowserUserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";

    public static HttpClient CreateBrowserClient(this HappiTrackFactory factory, bool handleCookies = true, bool allowRedirects = true)
    {
        var client = factory.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = handleCookies, AllowAutoRedirect = allowRedirects });
        client.DefaultRequestHeaders.UserAgent.ParseAdd(BrowserUserAgent);
        return client;
    }

    public static Task<HttpResponseMessage> TrackAsync(this HttpClient client, string json, string contentType = "application/json", Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/track") { Content = new StringContent(json, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        configure?.Invoke(request);
        return client.SendAsync(request);
    }

    public static string Payload(params string[] events) => $$"""{"v":1,"events":[{{string.Join(",", events)}}]}""";

    public const string PageView = """{"type":"page_view","data":{"path":"/"}}""";
    public const string FeaturedView = """{"type":"product_view","slug":"lenovo-loq-15","data":{"path":"/"}}""";
}
