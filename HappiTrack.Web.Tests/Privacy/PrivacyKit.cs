using System.Net.Http.Headers;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Tokens;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Infrastructure;

namespace HappiTrack.Web.Tests.Privacy;

/// <summary>A contact with everything the shop can hold about a person, seeded straight into the app's database.</summary>
internal sealed record SeededContact(int Id, string Phone, string Name, string VisitorId, int Events, string OrderId, long OrderTotal);

internal static class PrivacyKit
{
    public static DateTime Now => HappiTrackFactory.DefaultStart.UtcDateTime;

    public static HttpClient ApiClient(AdminFactory app)
    {
        var client = app.NewClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminFactory.ConfiguredApiToken);
        return client;
    }

    /// <param name="eventDay">Days before today the events happened (0 = today).</param>
    public static Task<SeededContact> SeedAsync(AdminFactory app, string phone, string name, int events, int eventDay = 1) => app.WithDbAsync(async db =>
    {
        var at = Now.AddDays(-eventDay);
        var product = db.Products.OrderBy(p => p.Id).First();
        var contact = new Contact { Phone = phone, Name = name, LinkToken = LinkToken.New(), CreatedAt = at.AddDays(-1) };
        contact.OptIn(ConsentSources.Api, at.AddDays(-1));
        db.Contacts.Add(contact);
        await db.SaveChangesAsync();

        var visitorId = "v" + Guid.NewGuid().ToString("N")[..20];
        db.Visitors.Add(new Visitor { Id = visitorId, FirstSeenAt = at, LastSeenAt = at, ContactId = contact.Id, LinkedAt = at });
        for (var i = 0; i < events; i++)
        {
            db.Events.Add(new TrackEvent
            {
                Type = i % 2 == 0 ? EventTypes.PageView : EventTypes.ProductView, VisitorId = visitorId, ContactId = contact.Id,
                ProductId = i % 2 == 0 ? null : product.Id, OccurredAt = at.AddSeconds(i), Path = "/p/" + product.Slug, Source = EventSource.Client,
            });
        }
        var orderId = "o" + Guid.NewGuid().ToString("N")[..20];
        db.Orders.Add(new Order
        {
            PublicId = orderId, VisitorId = visitorId, ContactId = contact.Id, CustomerName = name, Phone = phone, WhatsAppOptIn = true,
            SubtotalCents = 4200, TotalCents = 4200, PlacedAt = at.AddHours(1),
            Lines = [new OrderLine { ProductId = product.Id, ProductSlug = product.Slug, ProductName = product.Name, UnitPriceCents = 4200, Quantity = 1, LineTotalCents = 4200 }],
        });
        db.Add(new InterestScore { SubjectKey = Subject.Contact(contact.Id), ContactId = contact.Id, Dimension = InterestDimension.Product, TargetId = product.Id, Score = 7, AsOf = at });
        db.Add(new InterestScore { SubjectKey = Subject.Visitor(visitorId), VisitorId = visitorId, Dimension = InterestDimension.Tag, TargetId = 1, Score = 2, AsOf = at });
        var token = new DiscountToken { Hash = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + "00000000000000000000000000000000", ContactId = contact.Id, Percent = 10, ProductId = product.Id, CreatedAt = at, ExpiresAt = Now.AddDays(2) };
        db.Add(token);
        await db.SaveChangesAsync();
        foreach (var (status, sentAt) in new[] { (NudgeStatuses.Queued, (DateTime?)null), (NudgeStatuses.Sent, at) })
        {
            var code = NudgeOutbox.NewCode();
            db.Add(new Nudge
            {
                ContactId = contact.Id, Kind = NudgeKinds.InterestDiscount, Status = status, DedupKey = "privacy:" + code, Code = code,
                Message = $"Hi {name}, your code SECRET{contact.Id}", Link = "http://localhost/r/" + code, TokenId = token.Id, TokenValue = "SECRET" + contact.Id,
                CreatedAt = at, SendAfter = at, SentAt = sentAt,
            });
        }
        await db.SaveChangesAsync();
        return new SeededContact(contact.Id, phone, name, visitorId, events, orderId, 4200);
    });
}
