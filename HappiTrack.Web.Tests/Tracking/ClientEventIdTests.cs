using System.Net;
using System.Text.Json;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static HappiTrack.Web.Tests.Tracking.TrackingHttp;

namespace HappiTrack.Web.Tests.Tracking;

/// <summary>
/// SPEC §10: the tracker re-sends whatever it is not sure was stored, so the server keeps each
/// (visitor, client id) once. Runs on PostgreSQL too with HT_TEST_PROVIDER=Postgres.
/// </summary>
public class ClientEventIdTests : IAsyncLifetime
{
    private readonly HappiTrackFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static string Click(string id, string label = "category-link") =>
        $$$"""{"id":"{{{id}}}","type":"click","data":{"label":"{{{label}}}","path":"/"}}""";

    private static string NewId() => "mf3k2x9a" + Convert.ToBase64String(Guid.NewGuid().ToByteArray()[..12]).Replace('+', '-').Replace('/', '_');

    private Task<List<TrackEvent>> EventsAsync() =>
        _factory.WithDbAsync(db => db.Events.AsNoTracking().Where(e => e.Source == EventSource.Client).OrderBy(e => e.Id).ToListAsync());

    [Fact]
    public async Task The_same_batch_posted_twice_is_stored_once_and_both_posts_are_accepted()
    {
        var client = _factory.CreateBrowserClient();
        string[] ids = [NewId(), NewId(), NewId()];
        var batch = Payload(Click(ids[0]), Click(ids[1], "add-to-cart"), Click(ids[2], "checkout"));

        Assert.Equal(HttpStatusCode.Accepted, (await client.TrackAsync(batch)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.TrackAsync(batch, "text/plain;charset=UTF-8")).StatusCode);

        var events = await EventsAsync();
        Assert.Equal(ids, events.Select(e => e.ClientEventId));
        Assert.Equal(["""{"label":"category-link"}""", """{"label":"add-to-cart"}""", """{"label":"checkout"}"""], events.Select(e => e.Data));
    }

    [Fact]
    public async Task A_batch_mixing_stored_and_new_ids_stores_only_the_new_ones()
    {
        var client = _factory.CreateBrowserClient();
        string[] ids = [NewId(), NewId(), NewId(), NewId()];
        Assert.Equal(HttpStatusCode.Accepted, (await client.TrackAsync(Payload(Click(ids[0]), Click(ids[1])))).StatusCode);

        // A page that re-sends its predecessor's unconfirmed events along with its own, one of them twice.
        var response = await client.TrackAsync(Payload(Click(ids[1]), Click(ids[2]), Click(ids[0]), Click(ids[3]), Click(ids[2])));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(ids, (await EventsAsync()).Select(e => e.ClientEventId));
    }

    [Fact]
    public async Task The_naive_writer_used_as_the_benchmark_baseline_skips_stored_ids_too()
    {
        await using var factory = new HappiTrackFactory { Settings = { ["Tracking:Writer"] = "Naive" } };
        var client = factory.CreateBrowserClient();
        string[] ids = [NewId(), NewId(), NewId()];
        Assert.Equal(HttpStatusCode.Accepted, (await client.TrackAsync(Payload(Click(ids[0]), Click(ids[1])))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.TrackAsync(Payload(Click(ids[1]), Click(ids[2]), Click(ids[2]), Click(ids[0])))).StatusCode);

        var stored = await factory.WithDbAsync(db => db.Events.AsNoTracking().OrderBy(e => e.Id).Select(e => e.ClientEventId).ToListAsync());
        Assert.Equal(ids, stored);
    }

    [Fact]
    public async Task Copies_racing_each_other_into_the_same_group_commit_are_stored_once()
    {
        var client = _factory.CreateBrowserClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.TrackAsync(Payload(PageView))).StatusCode); // the cookie first
        var ids = Enumerable.Range(0, 20).Select(_ => NewId()).ToArray();
        var batch = Payload(ids.Select(id => Click(id)).ToArray());

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.TrackAsync(batch)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var stored = (await EventsAsync()).Where(e => e.Type == EventTypes.Click).Select(e => e.ClientEventId).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Ids_are_unique_per_visitor_so_another_visitor_with_the_same_id_is_stored()
    {
        var id = NewId();
        Assert.Equal(HttpStatusCode.Accepted, (await _factory.CreateBrowserClient().TrackAsync(Payload(Click(id)))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _factory.CreateBrowserClient().TrackAsync(Payload(Click(id)))).StatusCode);

        var events = await EventsAsync();
        Assert.Equal(2, events.Count);
        Assert.NotEqual(events[0].VisitorId, events[1].VisitorId);
    }

    [Fact]
    public async Task Events_without_an_id_from_old_clients_are_all_stored()
    {
        var client = _factory.CreateBrowserClient();
        await client.TrackAsync(Payload(PageView));
        await client.TrackAsync(Payload(PageView));

        var events = await EventsAsync();
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Null(e.ClientEventId));
    }

    [Theory]
    [InlineData("\"short\"")]                                                     // under 64 bits
    [InlineData("\"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123\"")] // 66 characters
    [InlineData("\"mf3k2x9a+k2n/x9a=k2n\"")]                                      // base64, not base64url
    [InlineData("\"mf3k2x9a k2nx9a k2n\"")]
    [InlineData("12345678901234567")]
    [InlineData("\"\"")]
    public async Task A_malformed_id_is_a_problem_naming_the_event_and_nothing_is_stored(string id)
    {
        var client = _factory.CreateBrowserClient();
        var response = await client.TrackAsync(Payload(Click(NewId()), $$$"""{"id":{{{id}}},"type":"page_view","data":{"path":"/"}}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("events[1].id", out _));
        Assert.Empty(await EventsAsync());
    }
}
