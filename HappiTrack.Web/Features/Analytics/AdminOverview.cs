using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Analytics;

/// <summary>
/// One period of the admin dashboard. The nudge figures are the analytics page's for the same preset
/// (<see cref="AnalyticsQueries.NudgesAsync"/>: nudges written in the period, how far each got, and the orders
/// <see cref="NudgeAttribution"/> credited to them), so the dashboard and <c>/analytics?preset=</c> never disagree.
/// </summary>
/// <param name="HeldByCap">Contacts with a nudge of the period that the daily cap held back (waiting or dropped).</param>
/// <param name="Failed">Nudges of the period that are failed (will retry) or dead-lettered now.</param>
public sealed record OverviewPeriod(string Preset, DateRange Range, int Written, int Sent, int Clicked, int AttributedOrders,
    long AttributedRevenueCents, int HeldByCap, int Failed);

/// <summary>What is waiting or stuck at this moment, whatever day it was written.</summary>
/// <param name="QuietHoursContacts">Contacts with a nudge deferred until their quiet hours end.</param>
/// <param name="CapContacts">Contacts with a nudge deferred until the daily cap lets it through.</param>
public sealed record OverviewNow(int QuietHoursContacts, int CapContacts, int FailedNudges, int DeadNudges);

public sealed record AdminOverviewFigures(DateOnly Today, string TimeZone, OverviewPeriod TodayFigures, OverviewPeriod Week, OverviewNow Now,
    int Contacts, int EventsToday, int Orders);

/// <summary>
/// The admin dashboard's figures: today and the last 7 days in the shop's time zone (<see cref="ShopCalendar"/>), and what waits now.
/// For one site (<paramref name="site"/> of <see cref="BuildAsync"/>): its events and orders, and the nudges of its contacts
/// (<see cref="SiteContacts"/>), as on the analytics page in that site's scope.
/// </summary>
public sealed class AdminOverview(AppDbContext db, AnalyticsQueries queries, ShopCalendar calendar)
{
    public async Task<AdminOverviewFigures> BuildAsync(CancellationToken ct = default, int? site = null)
    {
        var today = calendar.Today;
        await using var connection = await queries.HoldConnectionAsync(ct);
        var todayFigures = await PeriodAsync("today", today, site, ct);
        var week = await PeriodAsync("7d", today, site, ct);

        var nudges = NudgesOf(site);
        var quietHours = NudgeStatusNames.Filter("quiet_hours")!.Condition;
        var now = new OverviewNow(
            QuietHoursContacts: await nudges.Where(quietHours).Select(n => n.ContactId).Distinct().CountAsync(ct),
            CapContacts: await nudges.Where(n => n.Status == NudgeStatuses.Deferred && n.Reason == GuardReasons.Capped)
                .Select(n => n.ContactId).Distinct().CountAsync(ct),
            FailedNudges: await nudges.CountAsync(n => n.Status == NudgeStatuses.Failed, ct),
            DeadNudges: await nudges.CountAsync(n => n.Status == NudgeStatuses.Dead, ct));

        var startOfToday = calendar.StartUtc(today);
        var contacts = db.Contacts.AsNoTracking();
        var events = db.Events.AsNoTracking();
        var orders = db.Orders.AsNoTracking();
        if (site is { } one)
        {
            contacts = SiteContacts.Of(db, contacts, one);
            events = events.Where(e => e.SiteId == one);
            orders = orders.Where(o => o.SiteId == one);
        }
        return new AdminOverviewFigures(today, calendar.Zone.Id, todayFigures, week, now,
            Contacts: await contacts.CountAsync(ct),
            EventsToday: await events.CountAsync(e => e.OccurredAt >= startOfToday, ct),
            Orders: await orders.CountAsync(ct));
    }

    private IQueryable<Nudge> NudgesOf(int? site)
    {
        var nudges = db.Set<Nudge>().AsNoTracking();
        if (site is not { } one) return nudges;
        var contacts = SiteContacts.IdsOf(db, one);
        return nudges.Where(n => contacts.Contains(n.ContactId));
    }

    private async Task<OverviewPeriod> PeriodAsync(string preset, DateOnly today, int? site, CancellationToken ct)
    {
        // The analytics page's own presets, so "7 days" covers the same days there and here.
        var range = RangeSelection.Resolve(preset, null, null, today).Range;
        var facts = await queries.NudgesAsync(range, ct, site);
        var (start, end) = calendar.UtcBounds(range);
        var written = NudgesOf(site).Where(n => n.CreatedAt >= start && n.CreatedAt < end);
        var heldByCap = await written.Where(n => n.Reason == GuardReasons.Capped
                && (n.Status == NudgeStatuses.Deferred || n.Status == NudgeStatuses.Suppressed))
            .Select(n => n.ContactId).Distinct().CountAsync(ct);
        var failed = await written.Where(NudgeStatusNames.Filter("failed")!.Condition).CountAsync(ct);
        return new OverviewPeriod(preset, range, facts.Count, facts.Count(n => n.Sent), facts.Count(n => n.Clicked),
            facts.Sum(n => n.Orders), facts.Sum(n => n.RevenueCents), heldByCap, failed);
    }
}
