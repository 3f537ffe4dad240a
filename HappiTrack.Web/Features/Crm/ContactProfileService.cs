using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Tokens;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Crm;

public sealed record ScoreDto(int Id, string Slug, string Name, double Score);

public sealed record TokenDto(int Id, int Percent, string Scope, string? Product, DateTime CreatedAt, DateTime ExpiresAt, DateTime? RedeemedAt, string State);

public sealed record EventDto(long Id, string Type, string? Product, string Source, DateTime OccurredAt, string? Path);

public sealed record NudgeSummaryDto(int Id, string Kind, string Status, DateTime CreatedAt, DateTime SendAfter, DateTime? SentAt, string? Reason);

/// <summary>The fields of a contact in lists (<c>GET /api/contacts</c>, the admin table).</summary>
public sealed record ContactSummary(
    int Id, string Phone, string? Name, double GeneralInterestScore, IReadOnlyList<string> TopTags,
    ScoreDto? MostDesiredProduct, int Purchases, bool VipStatus, bool OptedIn, bool OptedOut, DateTime? LastSeenAt);

/// <summary>One contact in full (<c>GET /api/contacts/{id}</c>, the admin contact page).</summary>
public sealed record ContactProfile(
    int Id, string Phone, string? Name, double GeneralInterestScore, IReadOnlyList<string> TopTags,
    ScoreDto? MostDesiredProduct, int Purchases, bool VipStatus, bool OptedIn, bool OptedOut, DateTime? LastSeenAt,
    DateTime? VipSince, IReadOnlyList<ScoreDto> TagScores, IReadOnlyList<ScoreDto> ProductScores,
    IReadOnlyList<TokenDto> Tokens, IReadOnlyList<NudgeSummaryDto> Nudges, IReadOnlyList<EventDto> RecentEvents);

/// <summary>
/// Reads a contact's interest (decayed to now), purchases, tokens and timeline. Shared by the
/// contact API and the admin CRM. Raw token values are never returned: only hashes are stored.
/// </summary>
public sealed class ContactProfileService(AppDbContext db, RuleSettingsService settingsService, TimeProvider clock)
{
    public const int RecentEventCount = 50;

    public async Task<ContactSummary?> GetSummaryAsync(int contactId, CancellationToken ct = default)
    {
        var contact = await db.Contacts.AsNoTracking().FirstOrDefaultAsync(c => c.Id == contactId, ct);
        if (contact is null) return null;
        var (summary, purchases) = await InterestAsync(contact.Id, ct);
        return new ContactSummary(contact.Id, contact.Phone, contact.Name, summary.GeneralInterestScore, summary.TopTags,
            Dto(summary.MostDesiredProduct), purchases, contact.VipStatus, contact.OptedIn, contact.OptedOut, contact.LastSeenAt);
    }

    /// <param name="site">
    /// One site's view of the person (issue 20): that site's events, orders and products only (purchases, product scores,
    /// most desired product, timeline, product tokens). Consent, VIP, tag scores, store-wide tokens and nudges are the person's, across sites.
    /// </param>
    public async Task<ContactProfile?> GetProfileAsync(int contactId, CancellationToken ct = default, int? site = null)
    {
        var contact = await db.Contacts.AsNoTracking().FirstOrDefaultAsync(c => c.Id == contactId, ct);
        if (contact is null) return null;
        var (summary, purchases) = await InterestAsync(contact.Id, ct, site);
        var now = clock.GetUtcNow().UtcDateTime;

        var tokens = await db.Set<DiscountToken>().AsNoTracking().Where(t => t.ContactId == contactId
                && (site == null || t.ProductId == null || db.Products.Any(p => p.Id == t.ProductId && p.SiteId == site)))
            .OrderByDescending(t => t.Id).Take(100)
            .Select(t => new { t.Id, t.Percent, t.Scope, Product = db.Products.Where(p => p.Id == t.ProductId).Select(p => p.Slug).FirstOrDefault(), t.CreatedAt, t.ExpiresAt, t.RedeemedAt })
            .ToListAsync(ct);
        var nudges = await db.Set<Nudge>().AsNoTracking().Where(n => n.ContactId == contactId)
            .OrderByDescending(n => n.Id).Take(100)
            .Select(n => new NudgeSummaryDto(n.Id, n.Kind, n.Status, n.CreatedAt, n.SendAfter, n.SentAt, n.Reason))
            .ToListAsync(ct);
        var contactEvents = db.Events.AsNoTracking()
            .Where(e => e.ContactId == contactId || db.Visitors.Any(v => v.Id == e.VisitorId && v.ContactId == contactId));
        if (site is { } one) contactEvents = contactEvents.Where(e => e.SiteId == one);
        var events = await contactEvents
            .OrderByDescending(e => e.Id).Take(RecentEventCount)
            .Select(e => new { e.Id, e.Type, Product = db.Products.Where(p => p.Id == e.ProductId).Select(p => p.Slug).FirstOrDefault(), e.Source, e.OccurredAt, e.Path })
            .ToListAsync(ct);

        return new ContactProfile(contact.Id, contact.Phone, contact.Name, summary.GeneralInterestScore, summary.TopTags,
            Dto(summary.MostDesiredProduct), purchases, contact.VipStatus, contact.OptedIn, contact.OptedOut, contact.LastSeenAt,
            contact.VipSince, summary.Tags.Select(Dto).ToList()!, summary.Products.Select(Dto).ToList()!,
            tokens.Select(t => new TokenDto(t.Id, t.Percent, t.Scope.ToString().ToLowerInvariant(), t.Product, t.CreatedAt, t.ExpiresAt, t.RedeemedAt,
                t.RedeemedAt is not null ? "redeemed" : t.ExpiresAt <= now ? "expired" : "active")).ToList(),
            nudges,
            events.Select(e => new EventDto(e.Id, e.Type, e.Product, e.Source.ToString().ToLowerInvariant(), e.OccurredAt, e.Path)).ToList());
    }

    /// <summary>Decayed product and tag scores of the contact, ranked, with purchased products excluded from "most desired".</summary>
    public async Task<(InterestSummary Summary, int Purchases)> InterestAsync(int contactId, CancellationToken ct = default, int? site = null)
    {
        var settings = await settingsService.GetAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var halfLife = settings.Scoring.HalfLife;
        var rows = await db.Set<InterestScore>().AsNoTracking().Where(s => s.ContactId == contactId).ToListAsync(ct);
        var productIds = rows.Where(r => r.Dimension == InterestDimension.Product).Select(r => r.TargetId).ToList();
        var tagIds = rows.Where(r => r.Dimension == InterestDimension.Tag).Select(r => r.TargetId).ToList();
        var products = await db.Products.AsNoTracking().Where(p => productIds.Contains(p.Id) && (site == null || p.SiteId == site))
            .ToDictionaryAsync(p => p.Id, p => (p.Slug, p.Name), ct);
        var tags = await db.Tags.AsNoTracking().Where(t => tagIds.Contains(t.Id)).ToDictionaryAsync(t => t.Id, t => (t.Slug, t.Name), ct);

        var orders = db.Set<Order>().Where(o => o.ContactId == contactId || db.Visitors.Any(v => v.Id == o.VisitorId && v.ContactId == contactId));
        if (site is { } one) orders = orders.Where(o => o.SiteId == one);
        var purchases = await orders.CountAsync(ct);
        var purchased = (await db.Set<OrderLine>().Where(l => orders.Any(o => o.Id == l.OrderId)).Select(l => l.ProductId).Distinct().ToListAsync(ct)).ToHashSet();

        ScoredItem? Item(InterestScore r, IReadOnlyDictionary<int, (string Slug, string Name)> names) =>
            names.TryGetValue(r.TargetId, out var n) ? new ScoredItem(r.TargetId, n.Slug, n.Name, r.Value.ValueAt(now, halfLife)) : null;

        var summary = InterestSummary.Compute(
            rows.Where(r => r.Dimension == InterestDimension.Product).Select(r => Item(r, products)).OfType<ScoredItem>(),
            rows.Where(r => r.Dimension == InterestDimension.Tag).Select(r => Item(r, tags)).OfType<ScoredItem>(),
            purchased);
        return (summary, purchases);
    }

    private static ScoreDto? Dto(ScoredItem? item) => item is null ? null : new ScoreDto(item.Id, item.Slug, item.Name, Math.Round(item.Score, 2));
}
