using System.Net;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Crm;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Admin;

/// <summary>The admin dashboard (issue 17.7): today and the last 7 shop days, and what waits now, against seeded nudges and orders.</summary>
public sealed class DashboardTests
{
    private static DateTime Now(CrmKit kit) => kit.Brain.Now;

    private static Task<int> NudgeAsync(CrmKit kit, int contactId, DateTime createdAt, string status, DateTime? sentAt = null,
        DateTime? clickedAt = null, string? reason = null) => kit.App.WithDbAsync(async db =>
    {
        var code = NudgeOutbox.NewCode();
        var nudge = new Nudge
        {
            ContactId = contactId, Kind = NudgeKinds.InterestDiscount, Status = status, DedupKey = "dash:" + code, Code = code,
            Message = "Hi", Link = "http://localhost/r/" + code, CreatedAt = createdAt, SendAfter = createdAt, SentAt = sentAt,
            ClickedAt = clickedAt, Reason = reason, Attempts = status == NudgeStatuses.Dead ? 5 : 0,
            LastError = status is NudgeStatuses.Dead or NudgeStatuses.Failed ? "HTTP 500 from the bot" : null,
        };
        db.Add(nudge);
        await db.SaveChangesAsync();
        return nudge.Id;
    });

    /// <summary>An order credited the way checkout credits it: <see cref="NudgeAttribution"/> in the order's unit of work.</summary>
    private static async Task<int?> OrderAsync(CrmKit kit, int contactId, DateTime placedAt, long cents)
    {
        var visitor = await kit.Brain.VisitorAsync(contactId);
        await using var scope = kit.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var order = new Order
        {
            PublicId = VisitorCookie.NewId(), VisitorId = visitor, ContactId = contactId, CustomerName = "Dash", Phone = "+4915100000000",
            SubtotalCents = cents, TotalCents = cents, PlacedAt = placedAt,
        };
        db.Orders.Add(order);
        await scope.ServiceProvider.GetRequiredService<NudgeAttribution>().AttributeAsync(order);
        await db.SaveChangesAsync();
        return order.AttributedNudgeId;
    }

    private static async Task<IHtmlDocument> DashboardAsync(CrmKit kit)
    {
        var admin = await kit.AdminAsync();
        var response = await admin.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
    }

    private static string Text(IHtmlDocument doc, string id) => doc.GetElementById(id)!.TextContent.Trim();

    [Fact]
    public async Task Today_and_seven_days_count_sends_clicks_attributed_orders_holds_and_failures()
    {
        await using var kit = new CrmKit();
        var now = Now(kit);
        var threeDaysAgo = now.AddDays(-3);
        async Task<int> Contact(string phone) => (await kit.Brain.ContactAsync(phone, "Dash " + phone[^2..])).Id;

        // Three days ago: sent, clicked, bought €100.00.
        var a = await Contact("+4915100000011");
        var aNudge = await NudgeAsync(kit, a, threeDaysAgo.AddHours(-1), NudgeStatuses.Sent, sentAt: threeDaysAgo.AddHours(-1), clickedAt: threeDaysAgo);
        Assert.Equal(aNudge, await OrderAsync(kit, a, threeDaysAgo.AddHours(1), 10_000));
        // Today: sent, clicked, bought €250.50; another sent without a click; one dead-lettered.
        var b = await Contact("+4915100000012");
        var bNudge = await NudgeAsync(kit, b, now.AddHours(-2), NudgeStatuses.Sent, sentAt: now.AddHours(-2), clickedAt: now.AddHours(-1));
        Assert.Equal(bNudge, await OrderAsync(kit, b, now.AddMinutes(-30), 25_050));
        await NudgeAsync(kit, await Contact("+4915100000013"), now.AddHours(-1), NudgeStatuses.Sent, sentAt: now.AddHours(-1));
        var dead = await NudgeAsync(kit, await Contact("+4915100000014"), now.AddHours(-3), NudgeStatuses.Dead);
        // Three days ago: one failed (will retry), one waiting for the cap; today: one held back by the cap, one in quiet hours.
        var failed = await NudgeAsync(kit, await Contact("+4915100000015"), threeDaysAgo, NudgeStatuses.Failed);
        await NudgeAsync(kit, await Contact("+4915100000016"), threeDaysAgo, NudgeStatuses.Deferred, reason: GuardReasons.Capped);
        await NudgeAsync(kit, await Contact("+4915100000017"), now.AddMinutes(-10), NudgeStatuses.Suppressed, reason: GuardReasons.Capped);
        await NudgeAsync(kit, await Contact("+4915100000018"), now.AddMinutes(-30), NudgeStatuses.Deferred, reason: GuardReasons.QuietHours);
        // Outside both periods: ten days ago, sent, clicked and bought; and an order today that no nudge earned.
        var old = await Contact("+4915100000019");
        await NudgeAsync(kit, old, now.AddDays(-10), NudgeStatuses.Sent, sentAt: now.AddDays(-10), clickedAt: now.AddDays(-10));
        Assert.NotNull(await OrderAsync(kit, old, now.AddDays(-10).AddHours(1), 99_900));
        Assert.Null(await OrderAsync(kit, await Contact("+4915100000020"), now.AddMinutes(-5), 5_000));

        var doc = await DashboardAsync(kit);
        Assert.Equal("2", Text(doc, "sent-today"));
        Assert.Equal("3", Text(doc, "sent-7d"));
        Assert.Equal("1", Text(doc, "clicks-today"));
        Assert.Equal("2", Text(doc, "clicks-7d"));
        Assert.Equal("1", Text(doc, "orders-today"));
        Assert.Equal("2", Text(doc, "orders-7d"));
        Assert.Equal("€250.50", Text(doc, "revenue-today"));
        Assert.Equal("€350.50", Text(doc, "revenue-7d"));
        Assert.Equal("1", Text(doc, "cap-today"));
        Assert.Equal("2", Text(doc, "cap-7d"));
        Assert.Equal("1", Text(doc, "failed-today"));
        Assert.Equal("2", Text(doc, "failed-7d"));
        Assert.Equal("1", Text(doc, "now-quiet-hours"));
        Assert.Equal("1", Text(doc, "now-cap"));
        Assert.Equal("1", Text(doc, "now-failed"));
        Assert.Equal("1", Text(doc, "now-dead"));
        Assert.Equal("4", Text(doc, "count-orders"));

        // The failure tiles lead to the outbox filtered to exactly those nudges.
        var admin = await kit.AdminAsync();
        var deadPage = await admin.GetStringAsync(doc.GetElementById("link-dead")!.GetAttribute("href")!);
        Assert.Contains($"data-nudge-id=\"{dead}\"", deadPage);
        Assert.DoesNotContain($"data-nudge-id=\"{failed}\"", deadPage);
        var failedPage = await admin.GetStringAsync(doc.GetElementById("link-failed")!.GetAttribute("href")!);
        Assert.Contains($"data-nudge-id=\"{failed}\"", failedPage);

        // One definition: the analytics page's "All nudges" row for the same preset has the same sent, clicked and revenue.
        var csv = await admin.GetStringAsync("/analytics/export/nudges.csv?preset=7d");
        var all = csv.Split("\r\n").Single(l => l.StartsWith("All nudges,")).Split(',');
        Assert.Equal(["All nudges", "8", "3"], all[..3]);
        Assert.Equal("2", all[5]);
        Assert.Equal("350.50", all[7]);
    }

    [Fact]
    public async Task Days_are_the_shops_days_not_utc_days()
    {
        // UTC+14: at 12:00 UTC the shop's day began at 10:00 UTC, so 09:00 UTC was yesterday there.
        await using var kit = new CrmKit(app => app.Settings["Shop:TimeZone"] = "Pacific/Kiritimati");
        var now = Now(kit);
        var contact = (await kit.Brain.ContactAsync()).Id;
        await NudgeAsync(kit, contact, now.AddHours(-1), NudgeStatuses.Sent, sentAt: now.AddHours(-1), clickedAt: now.AddMinutes(-50));
        await NudgeAsync(kit, contact, now.AddHours(-3), NudgeStatuses.Sent, sentAt: now.AddHours(-3), clickedAt: now.AddHours(-2.5));
        // Seven shop days back starts six days before today's 10:00 UTC; a nudge an hour before that is outside.
        await NudgeAsync(kit, contact, now.AddDays(-6).AddHours(-2).AddMinutes(-1), NudgeStatuses.Sent, sentAt: now.AddDays(-6).AddHours(-2));
        await NudgeAsync(kit, contact, now.AddDays(-6).AddHours(-1), NudgeStatuses.Sent, sentAt: now.AddDays(-6).AddHours(-1));
        var visitor = await kit.Brain.VisitorAsync(contact);
        await kit.App.WithDbAsync(async db =>
        {
            foreach (var at in new[] { now.AddHours(-1), now.AddHours(-3) })
                db.Events.Add(new TrackEvent { Type = EventTypes.PageView, VisitorId = visitor, ContactId = contact, Source = EventSource.Client, OccurredAt = at, Path = "/" });
            await db.SaveChangesAsync();
        });

        var doc = await DashboardAsync(kit);
        Assert.Equal("1", Text(doc, "sent-today"));
        Assert.Equal("1", Text(doc, "clicks-today"));
        Assert.Equal("3", Text(doc, "sent-7d"));
        Assert.Equal("2", Text(doc, "clicks-7d"));
        Assert.Equal("1", Text(doc, "count-events-today"));
        Assert.Contains(DateOnly.FromDateTime(now.AddDays(1)).ToString("d MMM yyyy"), doc.QuerySelector(".dashboard-periods")!.TextContent);
    }
}
