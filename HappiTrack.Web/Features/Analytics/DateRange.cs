using System.Globalization;

namespace HappiTrack.Web.Features.Analytics;

/// <summary>Calendar days in the shop's time zone, both ends included.</summary>
public sealed record DateRange(DateOnly From, DateOnly To)
{
    public int Days => To.DayNumber - From.DayNumber + 1;

    public IEnumerable<DateOnly> EachDay()
    {
        for (var d = From; d <= To; d = d.AddDays(1)) yield return d;
    }

    public override string ToString() => $"{From:yyyy-MM-dd}..{To:yyyy-MM-dd}";
}

/// <summary>What the analyst asked for, resolved into a range plus anything they should be told.</summary>
public sealed record RangeSelection(DateRange Range, string Preset, string? Error, string? ErrorField, string? Notice)
{
    public const int MaxDays = 366;
    public const string DefaultPreset = "30d";

    public static readonly IReadOnlyList<(string Key, string Label, int Days)> Presets =
    [
        ("today", "Today", 1), ("7d", "7 days", 7), ("30d", "30 days", 30), ("90d", "90 days", 90),
    ];

    public bool IsValid => Error is null;

    /// <summary>
    /// Presets count back from today (inclusive). A custom range needs both dates as YYYY-MM-DD.
    /// Invalid input never throws: it yields the default range and an <see cref="Error"/> naming the field.
    /// </summary>
    public static RangeSelection Resolve(string? preset, string? from, string? to, DateOnly today)
    {
        var fallback = FromPreset(DefaultPreset, today);
        if (!string.IsNullOrEmpty(from) || !string.IsNullOrEmpty(to))
        {
            if (!TryParseDay(from, out var f))
                return new(fallback, DefaultPreset, "The start date is missing or not a date; use YYYY-MM-DD, e.g. 2026-11-01.", "from", null);
            if (!TryParseDay(to, out var t))
                return new(fallback, DefaultPreset, "The end date is missing or not a date; use YYYY-MM-DD, e.g. 2026-11-30.", "to", null);
            if (f > t)
                return new(fallback, DefaultPreset, $"The start date ({f:yyyy-MM-dd}) is after the end date ({t:yyyy-MM-dd}).", "from", null);
            var range = new DateRange(f, t);
            if (range.Days > MaxDays)
                return new(fallback, DefaultPreset, $"A range may span at most {MaxDays} days; this one spans {range.Days}.", "to", null);
            return new(range, "custom", null, null, FutureNotice(range, today));
        }

        var key = string.IsNullOrEmpty(preset) ? DefaultPreset : preset;
        if (Presets.All(p => p.Key != key))
            return new(fallback, DefaultPreset, "Unknown range preset; choose today, 7d, 30d or 90d.", "preset", null);
        return new(FromPreset(key, today), key, null, null, null);
    }

    private static DateRange FromPreset(string key, DateOnly today)
    {
        var days = Presets.First(p => p.Key == key).Days;
        return new DateRange(today.AddDays(1 - days), today);
    }

    private static string? FutureNotice(DateRange range, DateOnly today) =>
        range.From > today ? "This range lies entirely in the future, so nothing has happened in it yet."
        : range.To > today ? $"Days after today ({today:yyyy-MM-dd}) have no data yet."
        : null;

    private static bool TryParseDay(string? text, out DateOnly day) =>
        DateOnly.TryParseExact(text?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day)
        && day.Year is >= 2000 and <= 2100;
}
