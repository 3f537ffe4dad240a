using System.Net;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Analytics;
using HappiTrack.Web.Tests.Infrastructure;

namespace HappiTrack.Web.Tests.Privacy;

/// <summary>Analytics in raw mode names the first day whose raw events retention (Privacy:RawEventDays) still keeps.</summary>
public sealed class RawRetentionNoticeTests
{
    /// <summary>The first shop day that starts at or after the cut-off "now minus the retention": the day holding the cut-off is already partial.</summary>
    private static DateOnly FirstWholeDay(string zoneId, int days)
    {
        var cutoff = HappiTrackFactory.DefaultStart.UtcDateTime.AddDays(-days);
        var local = TimeZoneInfo.ConvertTimeFromUtc(cutoff, TimeZoneInfo.FindSystemTimeZoneById(zoneId));
        var day = DateOnly.FromDateTime(local);
        return local.TimeOfDay == TimeSpan.Zero ? day : day.AddDays(1);
    }

    [Theory]
    [InlineData("UTC")]
    [InlineData("Pacific/Auckland")]
    public async Task Raw_mode_names_the_first_available_day_when_the_range_reaches_before_the_cutoff(string zone)
    {
        await using var app = new AdminFactory();
        app.Settings["Privacy:RawEventDays"] = "30";
        app.Settings["Shop:TimeZone"] = zone;
        var client = await AnalyticsTestData.AnalystClientAsync(app);
        var first = FirstWholeDay(zone, 30);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(HappiTrackFactory.DefaultStart.UtcDateTime, TimeZoneInfo.FindSystemTimeZoneById(zone)));

        async Task<AngleSharp.Html.Dom.IHtmlDocument> PageAsync(DateOnly from, string source)
        {
            var response = await client.GetAsync($"/analytics?from={from:yyyy-MM-dd}&to={today:yyyy-MM-dd}&source={source}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        }

        var before = await PageAsync(first.AddDays(-1), "raw");
        var notice = before.GetElementById("raw-retention-notice");
        Assert.NotNull(notice);
        Assert.Equal("status", notice.GetAttribute("role"));
        Assert.Contains("kept for 30 days", notice.TextContent);
        Assert.Equal(first.ToString("yyyy-MM-dd"), notice.QuerySelector("strong")!.TextContent);
        // The way out keeps the range and switches to the roll-ups, which retention does not touch.
        var rollupLink = notice.QuerySelector("a")!.GetAttribute("href")!;
        Assert.Contains($"from={first.AddDays(-1):yyyy-MM-dd}", rollupLink);
        Assert.DoesNotContain("source=raw", rollupLink);

        Assert.Null((await PageAsync(first, "raw")).GetElementById("raw-retention-notice"));
        Assert.Null((await PageAsync(first.AddDays(-10), "rollup")).GetElementById("raw-retention-notice"));
    }
}
