using System.Text;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;

namespace HappiTrack.Web.Tests.Tracking;

public class TrackPayloadTests
{
    private static readonly DateTime Now = HappiTrackFactory.DefaultStart.UtcDateTime;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(10);
    private static readonly long NowMs = (long)(Now - DateTime.UnixEpoch).TotalMilliseconds;

    private static int? Products(string slug) => slug switch { "lenovo-loq-15" => 7, "pastel-mouse" => 9, _ => null };

    private static TrackPayloadResult Parse(string json) => TrackPayload.Parse(Encoding.UTF8.GetBytes(json), Now, Window, Products);

    private static TrackPayloadResult ParseEvent(string eventJson) => Parse($$"""{"v":1,"events":[{{eventJson}}]}""");

    private static void AssertInvalid(TrackPayloadResult result, string field)
    {
        Assert.False(result.IsValid);
        Assert.Equal(field, result.Field);
        Assert.False(string.IsNullOrWhiteSpace(result.Error));
    }

    [Fact]
    public void Every_client_event_type_parses_with_its_data()
    {
        var result = Parse($$$"""
            {"v":1,"events":[
              {"type":"page_view","ts":{{{NowMs}}},"data":{"path":"/product/lenovo-loq-15","ref":"WWW.Google.com"}},
              {"type":"product_view","slug":"lenovo-loq-15"},
              {"type":"linger_specs","slug":"lenovo-loq-15","data":{"ms":3200}},
              {"type":"click","slug":"pastel-mouse","data":{"label":"hero cta:buy"}},
              {"type":"add_to_cart","slug":"pastel-mouse"},
              {"type":"exit_intent","data":{"ms":15000}},
              {"type":"mouse","data":{"cells":[0,21,399]}},
              {"type":"scroll_depth","data":{"pct":100}}
            ]}
            """);

        Assert.True(result.IsValid, result.Error);
        var e = result.Events!;
        Assert.Equal(["page_view", "product_view", "linger_specs", "click", "add_to_cart", "exit_intent", "mouse", "scroll_depth"], e.Select(x => x.Type));
        Assert.Equal("/product/lenovo-loq-15", e[0].Path);
        Assert.Equal("""{"ref":"www.google.com"}""", e[0].Data);
        Assert.Equal(Now, e[0].ClientTime);
        Assert.Equal(7, e[1].ProductId);
        Assert.Equal("""{"ms":3200}""", e[2].Data);
        Assert.Equal(9, e[3].ProductId);
        Assert.Equal("""{"label":"hero cta:buy"}""", e[3].Data);
        Assert.Equal("""{"ms":15000}""", e[5].Data);
        Assert.Equal("""{"cells":[0,21,399]}""", e[6].Data);
        Assert.Equal("""{"pct":100}""", e[7].Data);
    }

    [Theory]
    [InlineData("not json", "body")]
    [InlineData("[1,2]", "body")]
    [InlineData("""{"events":[{"type":"page_view"}]}""", "v")]
    [InlineData("""{"v":2,"events":[{"type":"page_view"}]}""", "v")]
    [InlineData("""{"v":"1","events":[{"type":"page_view"}]}""", "v")]
    [InlineData("""{"v":1}""", "events")]
    [InlineData("""{"v":1,"events":{}}""", "events")]
    [InlineData("""{"v":1,"events":[]}""", "events")]
    [InlineData("""{"v":1,"events":[[[[[[[[[[1]]]]]]]]]]}""", "body")]
    public void Envelope_errors_name_the_field(string json, string field) => AssertInvalid(Parse(json), field);

    [Fact]
    public void More_than_fifty_events_are_refused()
    {
        var events = string.Join(",", Enumerable.Repeat("""{"type":"page_view"}""", 51));
        AssertInvalid(Parse($$"""{"v":1,"events":[{{events}}]}"""), "events");
        Assert.True(Parse($$"""{"v":1,"events":[{{string.Join(",", Enumerable.Repeat("""{"type":"page_view"}""", 50))}}]}""").IsValid);
    }

    [Fact]
    public void The_first_bad_event_is_named_by_its_index()
    {
        var result = Parse("""{"v":1,"events":[{"type":"page_view"},{"type":"page_view"},{"type":"page_view"},{"type":"purchase"},{"type":"nope"}]}""");
        AssertInvalid(result, "events[3].type");
    }

    [Theory]
    [InlineData("""5""", "events[0]")]
    [InlineData("""{}""", "events[0].type")]
    [InlineData("""{"type":7}""", "events[0].type")]
    [InlineData("""{"type":"PAGE_VIEW"}""", "events[0].type")]
    [InlineData("""{"type":"checkout"}""", "events[0].type")]
    [InlineData("""{"type":"remove_from_cart","slug":"lenovo-loq-15"}""", "events[0].type")]
    [InlineData("""{"type":"product_view"}""", "events[0].slug")]
    [InlineData("""{"type":"product_view","slug":"Lenovo"}""", "events[0].slug")]
    [InlineData("""{"type":"product_view","slug":"-lenovo"}""", "events[0].slug")]
    [InlineData("""{"type":"product_view","slug":"a--b"}""", "events[0].slug")]
    [InlineData("""{"type":"product_view","slug":"a b"}""", "events[0].slug")]
    [InlineData("""{"type":"product_view","slug":12}""", "events[0].slug")]
    [InlineData("""{"type":"add_to_cart"}""", "events[0].slug")]
    [InlineData("""{"type":"page_view","ts":"yesterday"}""", "events[0].ts")]
    [InlineData("""{"type":"page_view","data":[1]}""", "events[0].data")]
    [InlineData("""{"type":"page_view","data":{"path":"no-slash"}}""", "events[0].data.path")]
    [InlineData("""{"type":"page_view","data":{"path":"/with space"}}""", "events[0].data.path")]
    [InlineData("""{"type":"page_view","data":{"path":"/\u00e9"}}""", "events[0].data.path")]
    [InlineData("""{"type":"page_view","data":{"path":42}}""", "events[0].data.path")]
    [InlineData("""{"type":"page_view","data":{"ref":"evil\"host"}}""", "events[0].data.ref")]
    [InlineData("""{"type":"page_view","data":{"ref":"a/b"}}""", "events[0].data.ref")]
    [InlineData("""{"type":"linger_specs","slug":"lenovo-loq-15"}""", "events[0].data.ms")]
    [InlineData("""{"type":"linger_specs","slug":"lenovo-loq-15","data":{"ms":2999}}""", "events[0].data.ms")]
    [InlineData("""{"type":"linger_specs","slug":"lenovo-loq-15","data":{"ms":3600001}}""", "events[0].data.ms")]
    [InlineData("""{"type":"linger_specs","slug":"lenovo-loq-15","data":{"ms":3500.5}}""", "events[0].data.ms")]
    [InlineData("""{"type":"linger_specs","slug":"lenovo-loq-15","data":{"ms":"3500"}}""", "events[0].data.ms")]
    [InlineData("""{"type":"exit_intent","data":{"ms":-1}}""", "events[0].data.ms")]
    [InlineData("""{"type":"exit_intent","data":{"ms":86400001}}""", "events[0].data.ms")]
    [InlineData("""{"type":"click","data":{}}""", "events[0].data.label")]
    [InlineData("""{"type":"click","data":{"label":""}}""", "events[0].data.label")]
    [InlineData("""{"type":"click","data":{"label":"<script>"}}""", "events[0].data.label")]
    [InlineData("""{"type":"click","data":{"label":"quote\"d"}}""", "events[0].data.label")]
    [InlineData("""{"type":"click","data":{"label":" padded"}}""", "events[0].data.label")]
    [InlineData("""{"type":"click","data":{"label":"\ud800"}}""", "events[0].data.label")]
    [InlineData("""{"type":"product_view","slug":"\udfff"}""", "events[0].slug")]
    [InlineData("""{"type":"mouse","data":{}}""", "events[0].data.cells")]
    [InlineData("""{"type":"mouse","data":{"cells":[]}}""", "events[0].data.cells")]
    [InlineData("""{"type":"mouse","data":{"cells":"1,2"}}""", "events[0].data.cells")]
    [InlineData("""{"type":"mouse","data":{"cells":[1,400]}}""", "events[0].data.cells[1]")]
    [InlineData("""{"type":"mouse","data":{"cells":[-1]}}""", "events[0].data.cells[0]")]
    [InlineData("""{"type":"mouse","data":{"cells":[1.5]}}""", "events[0].data.cells[0]")]
    [InlineData("""{"type":"scroll_depth","data":{"pct":101}}""", "events[0].data.pct")]
    [InlineData("""{"type":"scroll_depth","data":{"pct":-1}}""", "events[0].data.pct")]
    [InlineData("""{"type":"scroll_depth","data":{}}""", "events[0].data.pct")]
    public void Field_errors_name_the_field(string eventJson, string field) => AssertInvalid(ParseEvent(eventJson), field);

    [Fact]
    public void Labels_and_cells_have_length_limits()
    {
        Assert.True(ParseEvent($$$"""{"type":"click","data":{"label":"{{{new string('a', 64)}}}"}}""").IsValid);
        AssertInvalid(ParseEvent($$$"""{"type":"click","data":{"label":"{{{new string('a', 65)}}}"}}"""), "events[0].data.label");
        var cells = string.Join(",", Enumerable.Range(0, 100));
        Assert.True(ParseEvent($$$"""{"type":"mouse","data":{"cells":[{{{cells}}}]}}""").IsValid);
        AssertInvalid(ParseEvent($$$"""{"type":"mouse","data":{"cells":[{{{cells}}},1]}}"""), "events[0].data.cells");
        AssertInvalid(ParseEvent($$$"""{"type":"page_view","data":{"path":"/{{{new string('a', 512)}}}"}}"""), "events[0].data.path");
        AssertInvalid(ParseEvent($$"""{"type":"product_view","slug":"{{new string('a', 97)}}"}"""), "events[0].slug");
    }

    [Fact]
    public void Unknown_slugs_are_kept_as_events_without_a_product()
    {
        var result = ParseEvent("""{"type":"product_view","slug":"no-such-product"}""");
        Assert.True(result.IsValid);
        Assert.Null(result.Events![0].ProductId);
    }

    [Fact]
    public void Fields_the_server_owns_are_ignored_and_data_is_rewritten()
    {
        var result = ParseEvent("""
            {"type":"linger_specs","slug":"lenovo-loq-15","contactId":5,"phone":"+4915112345678","ip":"1.2.3.4",
             "occurredAt":"2020-01-01","visitorId":"x","data":{"ms":4000,"contactId":5,"evil":"<script>"}}
            """);
        Assert.True(result.IsValid);
        Assert.Equal("""{"ms":4000}""", result.Events![0].Data);
        Assert.Null(result.Events[0].ClientTime);
    }

    [Fact]
    public void Empty_referrer_and_null_fields_are_treated_as_absent()
    {
        var result = ParseEvent("""{"type":"page_view","slug":null,"ts":null,"data":{"ref":"","path":null}}""");
        Assert.True(result.IsValid);
        Assert.Null(result.Events![0].Data);
        Assert.Null(result.Events[0].Path);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(-60_000, -60_000)]
    [InlineData(-3_600_000, -600_000)]
    [InlineData(3_600_000, 600_000)]
    [InlineData(-1e300, -600_000)]
    [InlineData(1e300, 600_000)]
    public void Client_time_is_clamped_to_the_window_around_server_time(double offsetMs, double expectedOffsetMs)
    {
        var clamped = TrackPayload.ClampClientTime(NowMs + offsetMs, Now, Window);
        Assert.Equal(Now.AddMilliseconds(expectedOffsetMs), clamped);
        Assert.Equal(DateTimeKind.Utc, clamped.Kind);
    }

    [Fact]
    public void Client_time_in_the_payload_is_clamped()
    {
        var result = ParseEvent("""{"type":"page_view","ts":0}""");
        Assert.Equal(Now - Window, result.Events![0].ClientTime);
    }
}

public class BotDetectorTests
{
    [Theory]
    [InlineData("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")]
    [InlineData("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/130.0.0.0 Safari/537.36")]
    [InlineData("Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/534.34 (KHTML, like Gecko) PhantomJS/1.9.8 Safari/534.34")]
    [InlineData("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)")]
    [InlineData("WhatsApp/2.23.20.0 A")]
    [InlineData("TelegramBot (like TwitterBot)")]
    [InlineData("curl/8.5.0")]
    [InlineData("Wget/1.21")]
    [InlineData("python-requests/2.31.0")]
    [InlineData("Go-http-client/1.1")]
    [InlineData("Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome Lighthouse")]
    [InlineData("Mozilla/5.0 (compatible; YandexSpider/3.0)")]
    [InlineData("Mozilla/5.0 (compatible; AhrefsBot/7.0)")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void Bots_headless_browsers_and_libraries_are_recognised(string? userAgent) => Assert.True(BotDetector.IsBot(userAgent));

    [Theory]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0")]
    [InlineData("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36")]
    public void Browsers_are_not_bots(string userAgent) => Assert.False(BotDetector.IsBot(userAgent));
}
