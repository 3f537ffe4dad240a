using System.Net;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;

namespace HappiTrack.Web.Tests.Storefront;

/// <summary>
/// A minimal no-JavaScript browser over the test server: keeps cookies, parses HTML with AngleSharp,
/// submits forms with whatever they contain (antiforgery token included) and follows redirects by hand
/// so tests can see each status and Location.
/// </summary>
public sealed class StorefrontBrowser
{
    private static readonly Uri BaseAddress = new("http://localhost");
    private readonly HttpClient _client;

    /// <param name="userAgent">None by default; a person's user agent where the server treats bots differently (tracked and nudge links).</param>
    public StorefrontBrowser(HappiTrackFactory factory, CookieContainer? cookies = null, string? userAgent = null)
    {
        Cookies = cookies ?? new CookieContainer();
        _client = factory.CreateDefaultClient(BaseAddress, new CookieContainerHandler(Cookies));
        if (userAgent is not null) _client.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
    }

    public CookieContainer Cookies { get; }

    /// <summary>The <c>ht_vid</c> the server issued to this browser, once it has issued one.</summary>
    public string? VisitorId => Cookies.GetCookies(BaseAddress)[VisitorCookie.Name]?.Value;

    public Task<HttpResponseMessage> GetRawAsync(string url) => _client.GetAsync(url);

    public Task<HttpResponseMessage> PostRawAsync(string url, string urlEncodedBody) =>
        _client.PostAsync(url, new StringContent(urlEncodedBody, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));

    public async Task<Page> GetAsync(string url)
    {
        var response = await _client.GetAsync(url);
        return await Page.FromAsync(response, url);
    }

    /// <summary>Submits the form matched by <paramref name="formSelector"/>; <c>null</c> in overrides removes a field.</summary>
    public async Task<HttpResponseMessage> SubmitRawAsync(Page page, string formSelector, IDictionary<string, string?>? overrides = null, string? action = null)
    {
        var form = page.Document.QuerySelector(formSelector) as IHtmlFormElement
            ?? throw new InvalidOperationException($"No form '{formSelector}' on {page.Url}");
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var element in form.Elements)
        {
            var name = element.GetAttribute("name");
            if (string.IsNullOrEmpty(name)) continue;
            switch (element)
            {
                case IHtmlInputElement { Type: "checkbox" or "radio" } box when !box.IsChecked: continue;
                case IHtmlInputElement { Type: "submit" }: continue;
                case IHtmlButtonElement: continue;
                case IHtmlInputElement input: fields.Add(new(name, input.Value)); break;
                case IHtmlSelectElement select: fields.Add(new(name, select.Value ?? "")); break;
                case IHtmlTextAreaElement area: fields.Add(new(name, area.Value)); break;
            }
        }
        foreach (var (name, value) in overrides ?? new Dictionary<string, string?>())
        {
            fields.RemoveAll(f => f.Key == name);
            if (value is not null) fields.Add(new(name, value));
        }
        var target = action ?? form.GetAttribute("action");
        if (string.IsNullOrEmpty(target)) target = page.Url;
        return await _client.PostAsync(target, new FormUrlEncodedContent(fields));
    }

    /// <summary>Submits, then follows redirects (as GETs) to the final page.</summary>
    public async Task<Page> SubmitAsync(Page page, string formSelector, IDictionary<string, string?>? overrides = null, string? action = null)
    {
        var response = await SubmitRawAsync(page, formSelector, overrides, action);
        return await FollowAsync(response, action ?? page.Url);
    }

    public async Task<Page> FollowAsync(HttpResponseMessage response, string url)
    {
        for (var hops = 0; IsRedirect(response.StatusCode); hops++)
        {
            if (hops > 5) throw new InvalidOperationException("Too many redirects");
            url = response.Headers.Location!.IsAbsoluteUri ? response.Headers.Location.PathAndQuery : response.Headers.Location.OriginalString;
            var hash = url.IndexOf('#');
            if (hash >= 0) url = url[..hash];
            response = await _client.GetAsync(url);
        }
        return await Page.FromAsync(response, url);
    }

    private static bool IsRedirect(HttpStatusCode status) => (int)status is >= 300 and < 400;

    public sealed record Page(HttpResponseMessage Response, IHtmlDocument Document, string Url)
    {
        public HttpStatusCode Status => Response.StatusCode;
        public string Text => Document.Body?.TextContent ?? "";

        public static async Task<Page> FromAsync(HttpResponseMessage response, string url)
        {
            var html = await response.Content.ReadAsStringAsync();
            return new Page(response, new HtmlParser().ParseDocument(html), url);
        }

        public IElement? One(string selector) => Document.QuerySelector(selector);
        public IReadOnlyList<IElement> All(string selector) => Document.QuerySelectorAll(selector).ToList();
    }
}
