using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Features.Analytics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace HappiTrack.Web.Tests.Analytics;

public sealed class RangeAndCsvTests
{
    private static readonly DateOnly Today = new(2026, 11, 24);

    [Theory]
    [InlineData(null, "2026-10-26", "2026-11-24")]
    [InlineData("today", "2026-11-24", "2026-11-24")]
    [InlineData("7d", "2026-11-18", "2026-11-24")]
    [InlineData("90d", "2026-08-27", "2026-11-24")]
    public void Presets_end_today(string? preset, string from, string to)
    {
        var s = RangeSelection.Resolve(preset, null, null, Today);
        Assert.True(s.IsValid);
        Assert.Equal(new DateRange(DateOnly.Parse(from), DateOnly.Parse(to)), s.Range);
    }

    [Fact]
    public void A_custom_range_of_exactly_366_days_is_allowed_and_a_range_into_the_future_is_flagged()
    {
        var year = RangeSelection.Resolve(null, "2025-11-24", "2026-11-24", Today);
        Assert.True(year.IsValid);
        Assert.Equal(366, year.Range.Days);
        Assert.Null(year.Notice);

        var partly = RangeSelection.Resolve(null, "2026-11-20", "2026-11-30", Today);
        Assert.True(partly.IsValid);
        Assert.Contains("no data yet", partly.Notice);
    }

    [Theory]
    [InlineData("2026-11-2", "2026-11-24", "from")]
    [InlineData("24.11.2026", "2026-11-24", "from")]
    [InlineData("1999-12-31", "2000-01-01", "from")]
    [InlineData("2026-11-01", "", "to")]
    [InlineData("2026-11-25", "2026-11-24", "from")]
    [InlineData("2025-11-23", "2026-11-24", "to")]
    public void Bad_custom_ranges_name_the_field_and_fall_back_to_30_days(string from, string to, string field)
    {
        var s = RangeSelection.Resolve("7d", from, to, Today);
        Assert.False(s.IsValid);
        Assert.Equal(field, s.ErrorField);
        Assert.Equal(30, s.Range.Days);
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"")]
    [InlineData("+1+2", "'+1+2")]
    [InlineData("-cmd", "'-cmd")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("-12.5", "-12.5")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("MacBook Air 13\" M3", "\"MacBook Air 13\"\" M3\"")]
    [InlineData("", "")]
    public void Csv_cells_are_quoted_and_formula_safe(string value, string expected) =>
        Assert.Equal(expected, CsvExport.Cell(value));

    [Fact]
    public void Shop_days_follow_the_configured_time_zone_across_daylight_saving()
    {
        var config = Microsoft.Extensions.Options.Options.Create(new ShopOptions { TimeZone = "Europe/Berlin" });
        // A January evening of next year: Berlin is UTC+1 then, whatever day the suite runs on.
        var winterDay = new DateOnly(DateTime.UtcNow.Year + 1, 1, 15);
        var calendar = new ShopCalendar(config, new FakeTimeProvider(new DateTimeOffset(winterDay.ToDateTime(new TimeOnly(23, 30)), TimeSpan.Zero)));

        Assert.Equal(winterDay.AddDays(1), calendar.Today);                             // 00:30 in Berlin
        Assert.Equal(winterDay.AddDays(-1).ToDateTime(new TimeOnly(23, 0), DateTimeKind.Utc), calendar.StartUtc(winterDay));
        var (start, end) = calendar.UtcBounds(new DateRange(new DateOnly(2026, 10, 25), new DateOnly(2026, 10, 25)));
        Assert.Equal(TimeSpan.FromHours(25), end - start);                                // clocks went back that day
    }

    [Fact]
    public void Heatmap_cells_outside_the_grid_or_malformed_are_ignored()
    {
        var counts = new int[HeatmapGrid.CellCount];
        HeatmapGrid.Accumulate(counts, "{\"cells\":[0,399,399,400,-1,\"7\",1.5]}");
        HeatmapGrid.Accumulate(counts, "not json");
        HeatmapGrid.Accumulate(counts, "{\"cells\":{}}");
        Assert.Equal(1, counts[0]);
        Assert.Equal(2, counts[399]);
        Assert.Equal(3, counts.Sum());
        var copy = new int[HeatmapGrid.CellCount];
        HeatmapGrid.AddSerialized(copy, HeatmapGrid.Serialize(counts));
        Assert.Equal(counts, copy);
    }
}
