using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Settings;

namespace HappiTrack.Web.Features.Nudges;

public enum GuardVerdict { Send, Defer, Suppress }

public sealed record GuardDecision(GuardVerdict Verdict, DateTime? Until, string? Reason)
{
    public static readonly GuardDecision Send = new(GuardVerdict.Send, null, null);
    public static GuardDecision DeferUntil(DateTime until, string reason) => new(GuardVerdict.Defer, until, reason);
    public static GuardDecision Suppress(string reason) => new(GuardVerdict.Suppress, null, reason);
}

/// <summary>What the guards need to know about a contact and its recent messages.</summary>
/// <param name="RecentSends">Send times (actual or scheduled) of the contact's other marketing nudges.</param>
public sealed record GuardInput(bool OptedIn, bool OptedOut, IReadOnlyList<DateTime> RecentSends, DateTime? ExpiresAt);

/// <summary>
/// The anti-spam guards of SPEC §5, as pure decisions applied when a nudge is written and again
/// when it is dispatched: consent first (suppress), then the per-contact cap and quiet hours
/// (defer). A nudge may wait at most until its <see cref="GuardInput.ExpiresAt"/> (creation plus the
/// offer's validity); due or deferred beyond that, the cause is stale and it is suppressed instead.
/// </summary>
public static class NudgeGuards
{
    /// <summary>
    /// The consent a nudge of <paramref name="kind"/> needs, as the guards' "opted in": marketing needs a
    /// standing opt-in (a pending contact is not opted in); the double opt-in confirmation needs a pending
    /// request that has not expired, and nothing else ever reaches a pending contact.
    /// </summary>
    public static bool ConsentAllows(Contact contact, string kind, DateTime now, TimeSpan pendingFor) =>
        kind == NudgeKinds.OptInConfirmation ? contact.IsPendingAt(now, pendingFor) : contact.OptedIn;

    public static GuardDecision Decide(GuardInput input, DateTime now, GuardSettings settings, TimeZoneInfo shopZone)
    {
        if (input.OptedOut) return GuardDecision.Suppress(GuardReasons.OptedOut);
        if (!input.OptedIn) return GuardDecision.Suppress(GuardReasons.NoOptIn);
        // A retry or a held message can come due after its offer lapsed (the outbox was down, the tokens job has not run yet).
        if (input.ExpiresAt is { } lapsed && now >= lapsed) return GuardDecision.Suppress(GuardReasons.Expired);

        var at = now;
        string? reason = null;
        // Leaving quiet hours can run into another scheduled send and vice versa: repeat until stable.
        for (var round = 0; round < 10; round++)
        {
            var capFree = CapFreeAt(input.RecentSends, at, settings);
            if (capFree > at) { at = capFree; reason ??= GuardReasons.Capped; }
            var quietEnd = QuietHoursEnd(at, settings, shopZone);
            if (quietEnd > at) { at = quietEnd; reason ??= GuardReasons.QuietHours; }
            if (CapFreeAt(input.RecentSends, at, settings) == at) break;
        }

        if (reason is null) return GuardDecision.Send;
        if (input.ExpiresAt is { } expires && at > expires) return GuardDecision.Suppress(GuardReasons.Expired);
        return GuardDecision.DeferUntil(at, reason);
    }

    /// <summary>
    /// The earliest time ≥ <paramref name="at"/> with fewer than MaxPerWindow other sends closer than
    /// one window. A send exactly one window away no longer counts (the window is open at both ends).
    /// </summary>
    public static DateTime CapFreeAt(IReadOnlyList<DateTime> sends, DateTime at, GuardSettings settings)
    {
        var window = TimeSpan.FromHours(settings.WindowHours);
        var candidate = at;
        // Scheduled sends after `at` block too: sending now would put them over the cap.
        while (true)
        {
            var blocking = sends.Where(s => s > candidate - window && s < candidate + window).Order().ToList();
            if (blocking.Count < settings.MaxPerWindow) return candidate;
            candidate = blocking[blocking.Count - settings.MaxPerWindow] + window;
        }
    }

    /// <summary>
    /// If <paramref name="utc"/> falls inside quiet hours in the shop's zone, the UTC instant they
    /// end; otherwise <paramref name="utc"/> itself. Windows may wrap midnight (21:00–09:00).
    /// </summary>
    public static DateTime QuietHoursEnd(DateTime utc, GuardSettings settings, TimeZoneInfo shopZone)
    {
        var start = settings.QuietStart;
        var end = settings.QuietEnd;
        if (start == end) return utc;
        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), shopZone);
        var time = TimeOnly.FromDateTime(local);
        var wraps = start > end;
        var inside = wraps ? time >= start || time < end : time >= start && time < end;
        if (!inside) return utc;
        var endDate = DateOnly.FromDateTime(local);
        if (wraps && time >= start) endDate = endDate.AddDays(1);
        return LocalToUtc(endDate.ToDateTime(end), shopZone);
    }

    /// <summary>A wall-clock time that a DST jump skipped is taken as the first valid minute after it.</summary>
    private static DateTime LocalToUtc(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(1);
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }
}
