using System.Globalization;
using System.Text.Json;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Tokens;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Rules;


/// <summary>
/// What each rule writes when it fires: token and nudge (and the VIP flag) added to the caller's
/// DbContext, so they commit in the caller's transaction together with the cause.
/// </summary>
public sealed class RuleActions(NudgeOutbox outbox)
{
    public async Task<Nudge?> InterestDiscountAsync(AppDbContext db, Contact contact, Product product, RuleSettings settings, long causeEventId, DateTime now, CancellationToken ct)
    {
        var rule = settings.InterestDiscount;
        var expires = now.AddHours(rule.ValidHours);
        return await outbox.WriteAsync(db, contact, new NudgeRequest(
            NudgeKinds.InterestDiscount,
            $"interest:{contact.Id}:{product.Id}:{causeEventId}",
            expires,
            (link, offer) =>
            {
                var (token, value) = offer
                    ? TokenService.Issue(db, contact.Id, rule.Percent, TokenScope.Product, now, expires - now, productId: product.Id)
                    : (null, null);
                var message = NudgeOutbox.Render(rule.Template, Values(contact, link, rule.Percent, ("product", product.Name), ("hours", rule.ValidHours.ToString(CultureInfo.InvariantCulture))));
                return new NudgeContent(message, TokenValue: value) { Token = token };
            },
            n => n.ProductId = product.Id), settings, now, ct);
    }

    public static async Task<DateTime?> LastInterestOfferAsync(AppDbContext db, int contactId, int productId, CancellationToken ct) =>
        await db.Set<Nudge>().Where(n => n.ContactId == contactId && n.ProductId == productId
                && n.Kind == NudgeKinds.InterestDiscount && n.Status != NudgeStatuses.Cancelled)
            .MaxAsync(n => (DateTime?)n.CreatedAt, ct);

    public static Task<bool> HasPurchasedAsync(AppDbContext db, int contactId, int productId, CancellationToken ct) =>
        db.Set<OrderLine>().AnyAsync(l => l.ProductId == productId && db.Set<Order>().Any(o => o.Id == l.OrderId
            && (o.ContactId == contactId || db.Visitors.Any(v => v.Id == o.VisitorId && v.ContactId == contactId))), ct);

    public static Task<bool> RescuePendingAsync(AppDbContext db, int cartId, CancellationToken ct) =>
        db.Set<Nudge>().AnyAsync(n => n.CartId == cartId && n.Kind == NudgeKinds.CartRescue && NudgeStatuses.Pending.Contains(n.Status), ct);

    /// <summary>Snapshots the cart's lines into the nudge; the de-duplication key is the cart's state, so one rescue per state.</summary>
    public async Task<Nudge?> CartRescueAsync(AppDbContext db, Contact contact, ShoppingCart cart, RuleSettings settings, DateTime now, CancellationToken ct)
    {
        var rule = settings.CartRescue;
        var expires = now.AddHours(rule.ValidHours);
        var lines = cart.Lines.OrderBy(l => l.Id).Select(l => new CartSnapshotLine(l.ProductId, l.Quantity)).ToList();
        return await outbox.WriteAsync(db, contact, new NudgeRequest(
            NudgeKinds.CartRescue,
            $"rescue:{cart.Id}:{cart.UpdatedAt.Ticks}",
            expires,
            (link, offer) =>
            {
                var (token, value) = offer && rule.Percent > 0
                    ? TokenService.Issue(db, contact.Id, rule.Percent, TokenScope.Cart, now, expires - now, cartProductIds: lines.Select(l => l.ProductId))
                    : (null, null);
                var message = NudgeOutbox.Render(rule.Template, Values(contact, link, rule.Percent, ("hours", rule.ValidHours.ToString(CultureInfo.InvariantCulture))));
                return new NudgeContent(message, TokenValue: value) { Token = token };
            },
            n =>
            {
                n.CartId = cart.Id;
                n.CartVisitorId = cart.VisitorId;
                n.CartSnapshot = JsonSerializer.Serialize(lines);
            }), settings, now, ct);
    }

    /// <summary>Completed orders of a contact: placed while linked, or by any of its visitors before the link.</summary>
    public static Task<int> CompletedOrdersAsync(AppDbContext db, int contactId, CancellationToken ct) =>
        db.Set<Order>().CountAsync(o => o.CancelledAt == null && (o.ContactId == contactId
            || db.Visitors.Any(v => v.Id == o.VisitorId && v.ContactId == contactId)), ct);

    /// <summary>Sets the permanent VIP flag and writes the reward nudge in the same unit of work.</summary>
    public async Task<Nudge?> VipUpgradeAsync(AppDbContext db, Contact contact, int orders, RuleSettings settings, DateTime now, CancellationToken ct)
    {
        var rule = settings.Vip;
        contact.VipStatus = true;
        contact.VipSince ??= now;
        var expires = now.AddDays(rule.ValidDays);
        return await outbox.WriteAsync(db, contact, new NudgeRequest(
            NudgeKinds.VipUpgrade,
            $"vip:{contact.Id}",
            expires,
            (link, offer) =>
            {
                var (token, value) = offer
                    ? TokenService.Issue(db, contact.Id, rule.Percent, TokenScope.Order, now, expires - now)
                    : (null, null);
                var message = NudgeOutbox.Render(rule.Template, Values(contact, link, rule.Percent,
                    ("orders", orders.ToString(CultureInfo.InvariantCulture)), ("days", rule.ValidDays.ToString(CultureInfo.InvariantCulture))));
                return new NudgeContent(message, TokenValue: value) { Token = token };
            }), settings, now, ct);
    }

    private static Dictionary<string, string> Values(Contact contact, string link, int percent, params (string Key, string Value)[] extra)
    {
        var values = new Dictionary<string, string>
        {
            ["name"] = ContactNames.ForMessage(contact.Name) ?? ContactNames.NoName,
            ["link"] = link,
            ["percent"] = percent.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in extra) values[key] = value;
        return values;
    }
}
