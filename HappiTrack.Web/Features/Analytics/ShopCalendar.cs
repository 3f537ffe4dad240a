using HappiTrack.Web.Features.Shared;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Analytics;

/// <summary>
/// Calendar days in the shop's time zone (<c>Shop:TimeZone</c>, IANA or Windows id, default UTC).
/// Analysts think in the shop's days, while every stored timestamp is UTC.
/// </summary>
public sealed class ShopCalendar
{
    private readonly TimeProvider _clock;

    public ShopCalendar(IOptions<ShopOptions> shop, TimeProvider clock)
    {
        _clock = clock;
        // The same reading as quiet hours, so "a day" means one thing across the app.
        Zone = ShopContext.ResolveZone(shop.Value.TimeZone);
    }

    public TimeZoneInfo Zone { get; }

    public DateOnly Today => DayOf(_clock.GetUtcNow().UtcDateTime);

    public DateOnly DayOf(DateTime utc) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), Zone));

    /// <summary>The UTC instant at which <paramref name="day"/> starts in the shop's zone.</summary>
    public DateTime StartUtc(DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        // Where a DST jump skips midnight (e.g. America/Santiago), the day starts at the first valid minute.
        while (Zone.IsInvalidTime(local)) local = local.AddMinutes(30);
        return TimeZoneInfo.ConvertTimeToUtc(local, Zone);
    }

    /// <summary>The first shop day that starts at or after <paramref name="utc"/>: the first whole day after a cut-off.</summary>
    public DateOnly FirstDayStartingAtOrAfter(DateTime utc)
    {
        var day = DayOf(utc);
        return StartUtc(day) >= utc ? day : day.AddDays(1);
    }

    /// <summary>UTC bounds [start, end) of the inclusive day range.</summary>
    public (DateTime Start, DateTime End) UtcBounds(DateRange range) => (StartUtc(range.From), StartUtc(range.To.AddDays(1)));
}
