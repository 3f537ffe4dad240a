using System.Net;
using System.Xml.Linq;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Catalog;

/// <summary>
/// Each product is drawn as the thing it is (issue 17 item 13: the JBL speaker was drawn as headphones, because the
/// drawings went by category). The kind is read from the served SVG's <c>data-drawing</c>, written by
/// <c>scripts/generate-product-images.py</c>; the expectation here comes from what each product is.
/// </summary>
public sealed class ProductDrawingTests
{
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["lenovo-loq-15"] = "laptop", ["macbook-air-13"] = "laptop", ["dell-xps-14"] = "laptop", ["asus-zenbook-14-pastel"] = "laptop", ["hp-pavilion-15"] = "laptop",
        ["iphone-16"] = "phone", ["galaxy-s24"] = "phone", ["pixel-9-pink"] = "phone", ["nothing-phone-2a"] = "phone", ["rog-phone-8"] = "phone",
        ["sony-wh-1000xm5"] = "headphones", ["airpods-pro-2"] = "earbuds", ["jbl-flip-6-pink"] = "speaker",
        ["steelseries-arctis-nova-7"] = "headset", ["marshall-emberton-3"] = "speaker-box",
        ["ps5-slim"] = "console-curved", ["nintendo-switch-oled"] = "handheld", ["xbox-series-x"] = "console",
        ["logitech-g-pro-x-superlight-2"] = "mouse", ["keychron-k2-pastel"] = "keyboard",
        ["apple-watch-series-10"] = "watch", ["garmin-forerunner-265"] = "watch", ["galaxy-watch-7"] = "watch", ["fitbit-charge-6-coral"] = "band",
        ["echo-dot-5"] = "smart-speaker", ["philips-hue-starter-kit"] = "bulbs", ["nest-thermostat"] = "thermostat", ["roborock-q7-max"] = "robot-vacuum",
    };

    [Fact]
    public async Task Every_product_is_drawn_as_what_it_is_and_speakers_are_not_headphones()
    {
        await using var app = new HappiTrackFactory();
        var client = app.CreateClient();
        var slugs = await app.WithDbAsync(db => db.Products.Select(p => p.Slug).ToListAsync());
        Assert.Equal(Expected.Keys.Order(), slugs.Order());

        var drawn = new Dictionary<string, string?>();
        foreach (var slug in slugs)
        {
            var response = await client.GetAsync($"/img/products/{slug}.svg");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var svg = XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!;
            drawn[slug] = svg.Attribute("data-drawing")?.Value;
        }
        var wrong = Expected.Where(e => drawn[e.Key] != e.Value).Select(e => $"{e.Key}: drawn as {drawn[e.Key] ?? "(no kind)"}, is a {e.Value}").ToList();
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }
}
