using System.Net;
using System.Net.Http.Headers;
using System.Text;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Tracking;

/// <summary>Hostile input: 2,000 generated and mutated bodies must never produce a server error.</summary>
public class TrackFuzzTests
{
    private static readonly string[] Types =
        ["page_view", "product_view", "linger_specs", "click", "add_to_cart", "exit_intent", "mouse", "scroll_depth", "purchase", "", "PAGE_VIEW", "x"];
    private static readonly string[] Keys = ["type", "slug", "ts", "data", "ms", "pct", "cells", "label", "path", "ref", "v", "events", "contactId"];
    private static readonly string[] Slugs = ["lenovo-loq-15", "no-such-thing", "Bad Slug", "", "a--b", "-x", new string('a', 200), "\u0000", "é"];

    [Fact]
    public async Task Two_thousand_random_and_mutated_payloads_never_produce_a_5xx()
    {
        await using var factory = new HappiTrackFactory
        {
            Settings = { ["Tracking:RateLimit:VisitorPermits"] = "100000", ["Tracking:RateLimit:IpPermits"] = "100000" },
        };
        var client = factory.CreateBrowserClient();
        var random = new Random(20261124);
        var statuses = new Dictionary<HttpStatusCode, int>();

        for (var i = 0; i < 2000; i++)
        {
            var body = Mutate(random, Generate(random), i);
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(random.Next(4) == 0 ? "text/plain;charset=UTF-8" : "application/json");
            var response = await client.PostAsync("/api/track", content);
            statuses[response.StatusCode] = statuses.GetValueOrDefault(response.StatusCode) + 1;
            Assert.True((int)response.StatusCode < 500, $"payload {i} got {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
        }

        Assert.True(statuses.GetValueOrDefault(HttpStatusCode.Accepted) > 100, "the generator should also produce valid payloads");
        Assert.True(statuses.GetValueOrDefault(HttpStatusCode.BadRequest) > 100, "the generator should mostly produce invalid payloads");
        var stored = await factory.WithDbAsync(db => db.Events.CountAsync());
        Assert.True(stored > 0);
    }

    private static string Generate(Random random)
    {
        var events = Enumerable.Range(0, random.Next(1, 8)).Select(_ => GenerateEvent(random));
        return $$"""{"v":1,"events":[{{string.Join(",", events)}}]}""";
    }

    private static string GenerateEvent(Random random)
    {
        var type = random.Next(3) == 0 ? Pick(random, Types) : Pick(random, Types.Take(8).ToArray());
        var data = type switch
        {
            "linger_specs" => $$"""{"ms":{{random.Next(2000, 5000)}}}""",
            "exit_intent" => $$"""{"ms":{{random.Next(0, 100000)}}}""",
            "click" => """{"label":"hero-cta"}""",
            "mouse" => $$"""{"cells":[{{random.Next(0, 420)}},{{random.Next(0, 400)}}]}""",
            "scroll_depth" => $$"""{"pct":{{random.Next(-5, 110)}}}""",
            _ => """{"path":"/","ref":"example.com"}""",
        };
        var slug = random.Next(3) == 0 ? Pick(random, Slugs) : "lenovo-loq-15";
        return $$"""{"type":"{{type}}","slug":"{{slug}}","ts":{{RandomNumber(random)}},"data":{{data}}}""";
    }

    private static byte[] Mutate(Random random, string json, int round)
    {
        switch (round % 10)
        {
            case 0: // untouched
                return Encoding.UTF8.GetBytes(json);
            case 1: // truncated
                return Encoding.UTF8.GetBytes(json[..random.Next(json.Length)]);
            case 2: // random bytes flipped
                var bytes = Encoding.UTF8.GetBytes(json);
                for (var i = 0; i < 3; i++) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                return bytes;
            case 3: // a value replaced by another JSON kind
                return Encoding.UTF8.GetBytes(ReplaceValue(random, json));
            case 4: // a key renamed to another known key
                var key = Pick(random, Keys);
                return Encoding.UTF8.GetBytes(json.Replace($"\"{key}\"", $"\"{Pick(random, Keys)}\""));
            case 5: // deep nesting
                var depth = random.Next(1, 200);
                return Encoding.UTF8.GetBytes(json.Replace("\"data\":", "\"data\":" + new string('[', depth) + "1" + new string(']', depth) + ",\"x\":"));
            case 6: // many events, maybe over the limit
                var many = Enumerable.Repeat(GenerateEvent(random), random.Next(40, 60));
                return Encoding.UTF8.GetBytes($$"""{"v":1,"events":[{{string.Join(",", many)}}]}""");
            case 7: // random garbage
                var garbage = new byte[random.Next(0, 300)];
                random.NextBytes(garbage);
                return garbage;
            case 8: // odd unicode and escapes inside strings
                return Encoding.UTF8.GetBytes(json.Replace("hero-cta", "\\ud800\\u0000\u202e<script>").Replace("example.com", "\\\"x\\\""));
            default: // huge numbers
                return Encoding.UTF8.GetBytes(json.Replace("\"ts\":", "\"ts\":1e999999,\"t2\":").Replace("\"ms\":", "\"ms\":-9223372036854775809,\"m2\":"));
        }
    }

    private static string ReplaceValue(Random random, string json)
    {
        string[] values = ["null", "true", "[]", "{}", "\"\"", "-0", "1e308", "99999999999999999999", "\"\\u0000\"", "[[]]", RandomNumber(random)];
        var colon = json.IndexOf(':', random.Next(json.Length));
        if (colon < 0) return json;
        var end = json.IndexOfAny([',', '}', ']'], colon + 1);
        return end < 0 ? json : json[..(colon + 1)] + Pick(random, values) + json[end..];
    }

    private static string RandomNumber(Random random) => random.Next(5) switch
    {
        0 => "-1",
        1 => "1.5e20",
        2 => random.NextInt64().ToString(),
        3 => "1764000000000",
        _ => "0.000001",
    };

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];
}
