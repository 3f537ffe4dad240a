using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Settings;

namespace HappiTrack.Web.Tests.Brain;

public class GuardTests
{
    private static readonly GuardSettings Defaults = new();
    private static readonly TimeZoneInfo Utc = TimeZoneInfo.Utc;
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static DateTime U(int month, int day, int hour, int minute = 0, int second = 0) => new(2026, month, day, hour, minute, second, DateTimeKind.Utc);
    private static GuardInput Consenting(params DateTime[] sends) => new(true, false, sends, null);

    [Fact]
    public void Without_opt_in_nothing_is_sent()
    {
        var d = NudgeGuards.Decide(new GuardInput(false, false, [], null), U(11, 24, 12), Defaults, Utc);
        Assert.Equal(GuardVerdict.Suppress, d.Verdict);
        Assert.Equal(GuardReasons.NoOptIn, d.Reason);
    }

    [Fact]
    public void Opting_out_after_the_nudge_was_queued_suppresses_it_at_dispatch()
    {
        var d = NudgeGuards.Decide(new GuardInput(OptedIn: true, OptedOut: true, [], null), U(11, 24, 12), Defaults, Utc);
        Assert.Equal(GuardVerdict.Suppress, d.Verdict);
        Assert.Equal(GuardReasons.OptedOut, d.Reason);
    }

    [Fact]
    public void A_consenting_contact_at_noon_with_no_recent_message_gets_it_now()
    {
        Assert.Equal(GuardDecision.Send, NudgeGuards.Decide(Consenting(), U(11, 24, 12), Defaults, Utc));
    }

    [Fact]
    public void The_cap_defers_until_exactly_24_hours_after_the_previous_send()
    {
        var d = NudgeGuards.Decide(Consenting(U(11, 24, 10)), U(11, 24, 12), Defaults, Utc);
        Assert.Equal(GuardVerdict.Defer, d.Verdict);
        Assert.Equal(GuardReasons.Capped, d.Reason);
        Assert.Equal(U(11, 25, 10), d.Until);
    }

    [Fact]
    public void A_send_exactly_one_window_ago_no_longer_counts_but_one_a_second_later_does()
    {
        Assert.Equal(GuardVerdict.Send, NudgeGuards.Decide(Consenting(U(11, 23, 12)), U(11, 24, 12), Defaults, Utc).Verdict);
        var d = NudgeGuards.Decide(Consenting(U(11, 23, 12, 0, 1)), U(11, 24, 12), Defaults, Utc);
        Assert.Equal(GuardVerdict.Defer, d.Verdict);
        Assert.Equal(U(11, 24, 12, 0, 1), d.Until);
    }

    [Fact]
    public void A_second_nudge_is_deferred_behind_one_scheduled_later()
    {
        var d = NudgeGuards.Decide(Consenting(U(11, 24, 15)), U(11, 24, 12), Defaults, Utc);
        Assert.Equal(U(11, 25, 15), d.Until);
    }

    [Fact]
    public void A_higher_cap_allows_that_many_per_window()
    {
        var two = new GuardSettings { MaxPerWindow = 2 };
        Assert.Equal(GuardVerdict.Send, NudgeGuards.Decide(Consenting(U(11, 24, 10)), U(11, 24, 12), two, Utc).Verdict);
        Assert.Equal(GuardVerdict.Defer, NudgeGuards.Decide(Consenting(U(11, 24, 10), U(11, 24, 11)), U(11, 24, 12), two, Utc).Verdict);
    }

    [Theory]
    [InlineData(20, 59, false)]
    [InlineData(21, 0, true)]
    [InlineData(23, 0, true)]
    [InlineData(0, 0, true)]
    [InlineData(8, 59, true)]
    [InlineData(9, 0, false)]
    public void Quiet_hours_wrap_midnight(int hour, int minute, bool quiet)
    {
        var at = U(11, 24, hour, minute);
        var end = NudgeGuards.QuietHoursEnd(at, Defaults, Utc);
        Assert.Equal(quiet, end > at);
    }

    [Fact]
    public void A_nudge_at_23_00_is_deferred_to_09_00_the_next_morning()
    {
        var d = NudgeGuards.Decide(Consenting(), U(11, 24, 23), Defaults, Utc);
        Assert.Equal(GuardVerdict.Defer, d.Verdict);
        Assert.Equal(GuardReasons.QuietHours, d.Reason);
        Assert.Equal(U(11, 25, 9), d.Until);
    }

    [Fact]
    public void After_midnight_the_window_ends_the_same_morning()
    {
        Assert.Equal(U(11, 25, 9), NudgeGuards.QuietHoursEnd(U(11, 25, 2), Defaults, Utc));
    }

    [Fact]
    public void Quiet_hours_are_in_the_shops_time_zone()
    {
        // 20:30 UTC in November is 21:30 in Berlin (UTC+1): quiet until 09:00 Berlin = 08:00 UTC.
        Assert.Equal(U(11, 25, 8), NudgeGuards.QuietHoursEnd(U(11, 24, 20, 30), Defaults, Berlin));
        Assert.Equal(U(11, 24, 19, 59), NudgeGuards.QuietHoursEnd(U(11, 24, 19, 59), Defaults, Berlin));
    }

    [Fact]
    public void Quiet_hours_across_the_spring_dst_change_end_at_local_nine()
    {
        // Night of 28→29 March 2026: Berlin jumps from UTC+1 to UTC+2, so 09:00 local is 07:00 UTC.
        Assert.Equal(U(3, 29, 7), NudgeGuards.QuietHoursEnd(U(3, 28, 22), Defaults, Berlin));
    }

    [Fact]
    public void Quiet_hours_ending_inside_a_skipped_hour_end_at_the_first_valid_minute()
    {
        var settings = new GuardSettings { QuietHoursStart = "21:00", QuietHoursEnd = "02:30" };
        // 02:30 does not exist in Berlin on 29 March 2026; 03:00 CEST = 01:00 UTC.
        Assert.Equal(U(3, 29, 1), NudgeGuards.QuietHoursEnd(U(3, 28, 22), settings, Berlin));
    }

    [Fact]
    public void A_cap_deferral_landing_in_quiet_hours_moves_on_to_the_morning()
    {
        // Last send at 22:00 yesterday → cap frees at 22:00 today, which is quiet → 09:00 tomorrow.
        var d = NudgeGuards.Decide(Consenting(U(11, 23, 22)), U(11, 24, 12), Defaults, Utc);
        Assert.Equal(U(11, 25, 9), d.Until);
        Assert.Equal(GuardReasons.Capped, d.Reason);
    }

    [Fact]
    public void A_deferral_past_the_offers_expiry_suppresses_it_instead()
    {
        var d = NudgeGuards.Decide(new GuardInput(true, false, [], ExpiresAt: U(11, 25, 8)), U(11, 24, 23), Defaults, Utc);
        Assert.Equal(GuardVerdict.Suppress, d.Verdict);
        Assert.Equal(GuardReasons.Expired, d.Reason);
    }

    [Fact]
    public void A_message_due_only_after_its_offer_expired_is_suppressed_even_when_nothing_defers_it()
    {
        var d = NudgeGuards.Decide(new GuardInput(true, false, [], ExpiresAt: U(11, 24, 11)), U(11, 24, 12), Defaults, Utc);
        Assert.Equal(GuardVerdict.Suppress, d.Verdict);
        Assert.Equal(GuardReasons.Expired, d.Reason);
    }
}
