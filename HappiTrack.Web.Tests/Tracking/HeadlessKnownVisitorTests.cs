using System.Net;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static HappiTrack.Web.Tests.Tracking.TrackingHttp;

namespace HappiTrack.Web.Tests.Tracking;

/// <summary>
/// The decision documented in SECURITY.md ("A known visitor whose user agent turns headless"):
/// Chromium under automation sends its unload beacons as HeadlessChrome even when the page's
/// requests carry a person's user agent. Such a batch counts only when its visitor cookie already
/// stored events sent with a person's user agent; everything else with a bot's agent stays out.
/// </summary>
public class HeadlessKnownVisitorTests : IAsyncLifetime
{
    private const string Headless = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/130.0.0.0 Safari/537.36";
    private const string Googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

    private readonly HappiTrackFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static Action<HttpRequestMessage> As(string userAgent) => request =>
    {
        request.Headers.UserAgent.Clear();
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
    };

    private static string Click(string label) =>
        $$$"""{"id":"mf3k2x9a{{{Guid.NewGuid():N}}}","type":"click","data":{"label":"{{{label}}}","path":"/"}}""";

    private Task<List<string?>> ClickLabelsAsync() =>
        _factory.WithDbAsync(db => db.Events.AsNoTracking().Where(e => e.Type == EventTypes.Click).OrderBy(e => e.Id).Select(e => e.Data).ToListAsync());

    [Fact]
    public async Task A_headless_batch_from_a_visitor_who_already_sent_events_as_a_person_is_counted()
    {
        var client = _factory.CreateBrowserClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.TrackAsync(Payload(Click("as-a-person")))).StatusCode);

        var beacon = await client.TrackAsync(Payload(Click("unload-beacon")), "text/plain;charset=UTF-8", As(Headless));

        Assert.Equal(HttpStatusCode.Accepted, beacon.StatusCode);
        Assert.Equal(["""{"label":"as-a-person"}""", """{"label":"unload-beacon"}"""], await ClickLabelsAsync());
    }

    [Fact]
    public async Task A_headless_batch_without_a_known_person_behind_its_cookie_is_dropped()
    {
        // No cookie at all: nothing stored, no cookie issued.
        var stranger = _factory.CreateBrowserClient(handleCookies: false);
        var response = await stranger.TrackAsync(Payload(Click("no-cookie")), configure: As(Headless));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));

        // A well-formed cookie that never sent anything as a person.
        var forged = _factory.CreateBrowserClient(handleCookies: false);
        var forgedResponse = await forged.TrackAsync(Payload(Click("forged-cookie")), configure: request =>
        {
            As(Headless)(request);
            request.Headers.Add("Cookie", $"{VisitorCookie.Name}={VisitorCookie.NewId()}");
        });
        Assert.Equal(HttpStatusCode.NoContent, forgedResponse.StatusCode);

        Assert.Empty(await ClickLabelsAsync());
        Assert.Equal(0, await _factory.WithDbAsync(db => db.Events.CountAsync()));
    }

    [Fact]
    public async Task Crawlers_and_libraries_are_dropped_even_with_a_known_persons_cookie()
    {
        var client = _factory.CreateBrowserClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.TrackAsync(Payload(Click("as-a-person")))).StatusCode);

        foreach (var agent in new[] { Googlebot, "curl/8.5.0", "HeadlessChrome/130.0 python-requests/2.31", "" })
            Assert.Equal(HttpStatusCode.NoContent, (await client.TrackAsync(Payload(Click("bot")), configure: As(agent))).StatusCode);

        Assert.Equal(["""{"label":"as-a-person"}"""], await ClickLabelsAsync());
    }

    [Fact]
    public async Task Do_not_track_wins_over_a_known_visitor()
    {
        var client = _factory.CreateBrowserClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.TrackAsync(Payload(Click("as-a-person")))).StatusCode);

        var response = await client.TrackAsync(Payload(Click("dnt")), configure: request => { As(Headless)(request); request.Headers.Add("DNT", "1"); });

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(["""{"label":"as-a-person"}"""], await ClickLabelsAsync());
    }
}
