using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Analytics;

/// <summary>
/// A tiny shop history whose figures are counted by hand in the tests (clock: today 12:00 UTC, shop in UTC; days are
/// counted back from today, "day -4" is four days ago). In days -4..0: A views, adds, checks out and buys the LOQ (VIP contact); B views and adds the JBL, then leaves
/// (plain contact); C views and lingers on the MacBook; D only looks at the home page (mouse samples); E adds, checks out
/// and buys the JBL without any tracker events. F visited and bought on day -14, outside the range.
/// </summary>
internal static class AnalyticsTestData
{
    public const string AnalystEmail = "analyst@example.com";
    public const string AnalystPassword = "analyst horse battery";
    public static DateOnly From => Day(-4);
    public static DateOnly To => Day(0);

    /// <summary>The shop day <paramref name="offset"/> days from the test clock's today (negative: in the past).</summary>
    public static DateOnly Day(int offset) => HappiTrackFactory.Today.AddDays(offset);

    /// <summary><see cref="Day"/> as the yyyy-MM-dd the pages and CSVs show.</summary>
    public static string Iso(int offset) => Day(offset).ToString("yyyy-MM-dd");

    public static AdminFactory NewFactory() => new();

    /// <summary>A client signed in through the real login form as a user with only the Analyst role.</summary>
    public static async Task<HttpClient> AnalystClientAsync(AdminFactory factory)
    {
        await factory.CreateUserAsync(AnalystEmail, AnalystPassword, "Analyst");
        return await factory.SignedInClientAsync(AnalystEmail, AnalystPassword);
    }

    private static DateTime At(int day, int hour, int minute = 0) => Day(day).ToDateTime(new TimeOnly(hour, minute), DateTimeKind.Utc);

    public static async Task SeedAsync(AppDbContext db)
    {
        var products = await db.Products.ToDictionaryAsync(p => p.Slug, p => p.Id);
        var loq = products["lenovo-loq-15"];
        var jbl = products["jbl-flip-6-pink"];
        var mac = products["macbook-air-13"];

        var vip = new Contact { Phone = "+4915100000001", Name = "Vera", LinkToken = "token-vip", CreatedAt = At(-23, 9), VipStatus = true, OptedIn = true };
        var plain = new Contact { Phone = "+4915100000002", Name = "Ben", LinkToken = "token-plain", CreatedAt = At(-23, 9), OptedIn = true };
        db.Contacts.AddRange(vip, plain);
        await db.SaveChangesAsync();

        void Visitor(string id, int? contactId) =>
            db.Visitors.Add(new Visitor { Id = id, FirstSeenAt = At(-14, 8), LastSeenAt = At(0, 8), ContactId = contactId });
        Visitor("visitor-a", vip.Id);
        Visitor("visitor-b", plain.Id);
        Visitor("visitor-c", null);
        Visitor("visitor-d", null);
        Visitor("visitor-e", null);
        Visitor("visitor-f", null);

        void Event(string visitor, string type, DateTime at, int? product = null, string? path = null, string? data = null) =>
            db.Events.Add(new TrackEvent
            {
                VisitorId = visitor, Type = type, OccurredAt = at, ProductId = product, Path = path, Data = data,
                Source = type is EventTypes.Checkout or EventTypes.Purchase ? EventSource.Server : EventSource.Client,
            });

        Event("visitor-a", EventTypes.PageView, At(-4, 10), path: "/");
        Event("visitor-a", EventTypes.ProductView, At(-4, 10, 1), loq, "/product/lenovo-loq-15");
        Event("visitor-a", EventTypes.AddToCart, At(-3, 9), loq);
        Event("visitor-a", EventTypes.Checkout, At(-3, 9, 5));
        Event("visitor-a", EventTypes.Purchase, At(-3, 9, 6), loq);

        Event("visitor-b", EventTypes.PageView, At(-2, 15), path: "/");
        Event("visitor-b", EventTypes.ProductView, At(-2, 15, 1), jbl, "/product/jbl-flip-6-pink");
        Event("visitor-b", EventTypes.AddToCart, At(-2, 15, 2), jbl);

        Event("visitor-c", EventTypes.PageView, At(-1, 8), path: "/");
        Event("visitor-c", EventTypes.ProductView, At(-1, 8, 1), mac, "/product/macbook-air-13");
        Event("visitor-c", EventTypes.LingerSpecs, At(-1, 8, 2), mac, "/product/macbook-air-13", "{\"ms\":4200}");

        Event("visitor-d", EventTypes.PageView, At(-1, 20), path: "/");
        Event("visitor-d", EventTypes.Mouse, At(-1, 20, 1), path: "/", data: "{\"cells\":[41,41,83]}");
        Event("visitor-d", EventTypes.Mouse, At(-1, 20, 2), path: "/", data: "{\"cells\":[41]}");

        Event("visitor-e", EventTypes.AddToCart, At(0, 7), jbl);
        Event("visitor-e", EventTypes.Checkout, At(0, 7, 3));
        Event("visitor-e", EventTypes.Purchase, At(0, 7, 4), jbl);

        Event("visitor-f", EventTypes.PageView, At(-14, 12), path: "/");

        // Nudges: a delivered, read and clicked cart rescue that E's order is attributed to; an interest discount
        // delivered but never read; a VIP upgrade whose channel reported only the read receipt; in campaign 7 a
        // suppressed message and one read and clicked without an order; and a read rescue before the range.
        var rescue = Nudge("n1", plain.Id, NudgeKinds.CartRescue, NudgeStatuses.Sent, At(-2, 16), sent: true, clicked: true, delivered: true, read: true);
        Nudge("n2", vip.Id, NudgeKinds.InterestDiscount, NudgeStatuses.Sent, At(-4, 11), sent: true, clicked: false, delivered: true);
        Nudge("n3", vip.Id, NudgeKinds.Campaign, NudgeStatuses.Suppressed, At(-1, 10), sent: false, clicked: false, campaign: 7);
        Nudge("n4", vip.Id, NudgeKinds.CartRescue, NudgeStatuses.Sent, At(-14, 10), sent: true, clicked: true, delivered: true, read: true);
        Nudge("n5", vip.Id, NudgeKinds.VipUpgrade, NudgeStatuses.Sent, At(-1, 12), sent: true, clicked: false, read: true);
        Nudge("n6", plain.Id, NudgeKinds.Campaign, NudgeStatuses.Sent, At(0, 8), sent: true, clicked: true, campaign: 7, delivered: true, read: true);
        await db.SaveChangesAsync();

        Order("order-a", "visitor-a", vip.Id, 109900, At(-3, 9, 6));
        Order("order-e", "visitor-e", null, 12900, At(0, 7, 4), rescue.Id);
        Order("order-f", "visitor-f", null, 34900, At(-14, 12, 30));
        await db.SaveChangesAsync();

        void Order(string publicId, string visitor, int? contact, long cents, DateTime at, int? nudge = null) => db.Orders.Add(new Order
        {
            PublicId = publicId, VisitorId = visitor, ContactId = contact, CustomerName = "Test", Phone = "+4915100000009",
            SubtotalCents = cents, TotalCents = cents, PlacedAt = at, AttributedNudgeId = nudge,
        });

        Nudge Nudge(string code, int contact, string kind, string status, DateTime at, bool sent, bool clicked, int? campaign = null,
            bool delivered = false, bool read = false)
        {
            var nudge = new Nudge
            {
                ContactId = contact, Kind = kind, Status = status, DedupKey = "test:" + code, Code = code, Message = "Hi",
                Link = "http://localhost/r/" + code, CreatedAt = at, SendAfter = at, SentAt = sent ? at.AddMinutes(1) : null,
                ClickedAt = clicked ? at.AddMinutes(30) : null, CampaignId = campaign,
                DeliveredAt = delivered ? at.AddMinutes(2) : null, ReadAt = read ? at.AddMinutes(10) : null,
                DeliveryStatus = read ? DeliveryStatuses.Read : delivered ? DeliveryStatuses.Delivered : null,
            };
            db.Set<Nudge>().Add(nudge);
            return nudge;
        }
    }
}
