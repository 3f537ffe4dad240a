using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Checkout;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Features.Tracking.Ingestion;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Sites;

/// <summary>The answer to one events-API request: a problem (4xx) or the accepted result.</summary>
public sealed record SiteEventOutcome(int Status, string Verdict, string Title, string? Detail, string? Field = null, string? Json = null)
{
    public bool Accepted => Status is >= 200 and < 300;
    public string? EventType { get; init; }
}

/// <summary>
/// <c>POST /api/sites/{key}/events</c>, from the raw body to the stored effect: size, site, signature,
/// idempotency, payload, then the event's handler. Every request whose site is known is recorded (verdict and
/// why) for the integration page; a rejected one stores nothing else. The admin's "send test event" runs
/// through here too, signed by the server with the site's own secret.
/// </summary>
public sealed class SiteEventPipeline(AppDbContext db, SiteSecrets secrets, CheckoutService checkout, IEventStore events,
    IProjectEventsTrigger projectEvents, TimeProvider clock)
{
    public const int MaxBodyBytes = 64 * 1024;
    public const string SignatureHeader = "X-HappiTrack-Signature";
    public const string IdempotencyHeader = "Idempotency-Key";
    public const string Accepted = "accepted";
    public const string Replayed = "replayed";
    public const string Rejected = "rejected";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <param name="body">Null when it was over <see cref="MaxBodyBytes"/>.</param>
    public async Task<SiteEventOutcome> ReceiveAsync(string key, byte[]? body, string? signature, string? idempotencyKey, bool isTest = false, CancellationToken ct = default)
    {
        var site = Site.IsWellFormedKey(key) ? await db.Set<Site>().AsNoTracking().FirstOrDefaultAsync(s => s.Key == key, ct) : null;
        // Nothing is recorded for an unknown key: there is no site to record it for, and a log anyone can fill is no log.
        if (site is null) return new SiteEventOutcome(StatusCodes.Status404NotFound, Rejected, "Unknown site key", "No site has this key; copy it from the site's integration page.");

        var outcome = await DecideAsync(site, body, signature, idempotencyKey, ct);
        await RecordAsync(site.Id, outcome, idempotencyKey, body, isTest, ct);
        return outcome;
    }

    /// <summary>Signs a harmless <c>test</c> event with the site's secret and sends it through <see cref="ReceiveAsync"/>.</summary>
    public async Task<SiteEventOutcome> SendTestAsync(int siteId, CancellationToken ct = default)
    {
        var site = await db.Set<Site>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == siteId, ct);
        if (site is null) return new SiteEventOutcome(StatusCodes.Status404NotFound, Rejected, "Unknown site", null);
        var body = JsonSerializer.SerializeToUtf8Bytes(new { type = SiteEventTypes.Test, data = new { sent_at = clock.GetUtcNow().UtcDateTime } });
        var secret = secrets.Unprotect(site.ProtectedSecret);
        var signature = secret is null ? null : Sign(body, secret);
        return await ReceiveAsync(site.Key, body, signature, "test-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), isTest: true, ct);
    }

    public static string Sign(ReadOnlySpan<byte> body, string secret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    private async Task<SiteEventOutcome> DecideAsync(Site site, byte[]? body, string? signature, string? idempotencyKey, CancellationToken ct)
    {
        if (site.IsRevoked) return Reject(StatusCodes.Status403Forbidden, "Site revoked", "This site was revoked; its key and secret no longer work.");
        if (body is null) return Reject(StatusCodes.Status413PayloadTooLarge, "Body too large", $"Send at most {MaxBodyBytes / 1024} KB per request.");
        if (string.IsNullOrEmpty(signature))
            return Reject(StatusCodes.Status401Unauthorized, "Signature required", $"Send {SignatureHeader}: sha256=<hex HMAC-SHA256 of the raw body with the site's secret>.");
        var secret = secrets.Unprotect(site.ProtectedSecret);
        if (secret is null || !WhatsAppWebhookEndpoints.SignatureMatches(body, signature, secret))
            return Reject(StatusCodes.Status401Unauthorized, "Bad signature", "The signature does not match the body: sign the exact bytes you send, with the current secret.");
        if (string.IsNullOrEmpty(idempotencyKey) || idempotencyKey.Length > SiteIdempotencyKey.MaxKeyLength || idempotencyKey.Any(c => c is < '!' or > '~'))
            return Reject(StatusCodes.Status400BadRequest, "Idempotency-Key required",
                $"Send {IdempotencyHeader}: a unique value per event (1–{SiteIdempotencyKey.MaxKeyLength} printable ASCII characters), the same when you retry it.");

        var hash = SiteIdempotencyKey.Hash(body);
        var earlier = await db.Set<SiteIdempotencyKey>().AsNoTracking().FirstOrDefaultAsync(k => k.SiteId == site.Id && k.Key == idempotencyKey, ct);
        if (earlier is not null) return Replay(earlier, hash);

        var payload = SiteEventPayload.Parse(body);
        if (!payload.IsValid) return Reject(StatusCodes.Status400BadRequest, $"Invalid field '{payload.Field}'", payload.Error, payload.Field);

        var result = payload.Type switch
        {
            SiteEventTypes.ProductUpserted => await UpsertProductAsync(site, payload.Product!, ct),
            SiteEventTypes.CartUpdated => await UpdateCartAsync(site, payload.Cart!, ct),
            SiteEventTypes.OrderPlaced => await PlaceOrderAsync(site, payload.Order!, ct),
            SiteEventTypes.OrderCancelled => await CancelOrderAsync(site, payload.CancelledOrderId!, ct),
            _ => new { type = payload.Type, stored = false },
        };
        if (result is SiteEventOutcome refused) return refused with { Verdict = Rejected };
        var json = JsonSerializer.Serialize(result, Json);
        var outcome = new SiteEventOutcome(StatusCodes.Status200OK, Accepted, "Accepted", null, Json: json) { EventType = payload.Type };
        db.ChangeTracker.Clear();
        db.Set<SiteIdempotencyKey>().Add(new SiteIdempotencyKey
        {
            SiteId = site.Id, Key = idempotencyKey, BodyHash = hash, StatusCode = outcome.Status, Response = json, CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The same key raced in from a retry; the handlers are idempotent by themselves, so the first verdict stands.
            db.ChangeTracker.Clear();
            earlier = await db.Set<SiteIdempotencyKey>().AsNoTracking().FirstOrDefaultAsync(k => k.SiteId == site.Id && k.Key == idempotencyKey, ct);
            if (earlier is null) throw;
            return Replay(earlier, hash);
        }
        return outcome;
    }

    private static SiteEventOutcome Replay(SiteIdempotencyKey earlier, string hash) => earlier.BodyHash == hash
        ? new SiteEventOutcome(earlier.StatusCode, Replayed, "Replayed", "This Idempotency-Key was already processed; the original answer is repeated and nothing new was stored.", Json: earlier.Response)
        : Reject(StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused",
            "This Idempotency-Key was already used with a different body; use a new key for a new event.");

    private static SiteEventOutcome Reject(int status, string title, string? detail, string? field = null) => new(status, Rejected, title, detail, field);

    private async Task<object> UpsertProductAsync(Site site, ProductUpsert input, CancellationToken ct)
    {
        var product = await db.Products.Include(p => p.Tags).FirstOrDefaultAsync(p => p.SiteId == site.Id && p.Slug == input.Slug, ct);
        var created = product is null;
        product ??= db.Products.Add(new Product
        {
            SiteId = site.Id, Slug = input.Slug, Name = input.Name, Brand = site.Name, Summary = "",
            Category = await SiteCategoryAsync(site, ct),
        }).Entity;
        product.Name = input.Name;
        product.PriceCents = input.PriceCents;
        product.ExternalUrl = input.Url;
        product.ExternalImageUrl = input.ImageUrl;
        product.Tags.Clear();
        foreach (var tag in await SiteTagsAsync(site, input.Tags, ct)) product.Tags.Add(tag);
        await db.SaveChangesAsync(ct);
        return new { type = SiteEventTypes.ProductUpserted, product = input.Slug, created };
    }

    private async Task<object> UpdateCartAsync(Site site, CartUpdate input, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var contact = input.Phone is null ? null : await db.Contacts.AsNoTracking().Where(c => c.Phone == input.Phone).Select(c => (int?)c.Id).FirstOrDefaultAsync(ct);
        // A phone-only cart gets a visitor id of its own, the same for every update of that shopper's cart at this site.
        var visitorId = input.VisitorId ?? PhoneVisitorId(site.Id, input.Phone!);
        var cart = await db.Carts.Include(c => c.Lines).FirstOrDefaultAsync(c => c.VisitorId == visitorId, ct);
        if (cart is not null && cart.SiteId != site.Id)
            return Reject(StatusCodes.Status409Conflict, "Visitor of another site", "This visitor id belongs to another site's tracker.", "visitor_id");
        var products = await ResolveLinesAsync(site, input.Lines, ct);
        if (cart is null) cart = db.Carts.Add(new ShoppingCart(visitorId, now, site.Id)).Entity;
        var visitor = await ServerEvents.TouchVisitorAsync(db, events, visitorId, now, ct);
        var actor = new ServerVisitor(visitorId, contact ?? visitor.ContactId);
        var wanted = input.Lines.ToDictionary(l => products[l.Slug].Id, l => l.Quantity);
        foreach (var line in cart.Lines.ToList())
        {
            if (wanted.ContainsKey(line.ProductId)) continue;
            var removed = line.Quantity;
            cart.Remove(line.ProductId, now);
            ServerEvents.Add(db, actor, EventTypes.RemoveFromCart, now, line.ProductId, new { qty = removed }).SiteId = site.Id;
        }
        foreach (var (productId, quantity) in wanted)
        {
            var had = cart.Lines.FirstOrDefault(l => l.ProductId == productId)?.Quantity ?? 0;
            var capped = Math.Min(quantity, ShoppingCart.MaxQuantity);
            if (had == capped) continue;
            if (had == 0) cart.Add(productId, capped, now); else cart.SetQuantity(productId, capped, now);
            var type = capped > had ? EventTypes.AddToCart : EventTypes.RemoveFromCart;
            ServerEvents.Add(db, actor, type, now, productId, new { qty = Math.Abs(capped - had) }).SiteId = site.Id;
        }
        await db.SaveChangesAsync(ct);
        projectEvents.EventsWritten();
        return new { type = SiteEventTypes.CartUpdated, lines = cart.Lines.Count };
    }

    private async Task<object> PlaceOrderAsync(Site site, OrderPlacement input, CancellationToken ct)
    {
        var products = await ResolveLinesAsync(site, input.Lines, ct);
        var lines = input.Lines.Select(l =>
        {
            var p = products[l.Slug];
            return new SiteOrderLine(p.Id, p.Slug, l.Name ?? p.Name, l.PriceCents ?? p.PriceCents, l.Quantity);
        }).ToList();
        var (order, created) = await checkout.PlaceSiteOrderAsync(new SiteOrder(site.Id, input.OrderId,
            input.VisitorId ?? PhoneVisitorId(site.Id, input.Phone), input.Phone, input.Name ?? "", input.OptIn,
            site.OrderConsentSource, input.TotalCents, lines), ct);
        return new { type = SiteEventTypes.OrderPlaced, order_id = input.OrderId, created, number = order.Number };
    }

    private async Task<object> CancelOrderAsync(Site site, string orderId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var known = await db.Orders.AnyAsync(o => o.SiteId == site.Id && o.ExternalId == orderId, ct);
        if (!known) return Reject(StatusCodes.Status404NotFound, "Unknown order", $"No order '{orderId}' was placed at this site.", "order_id");
        await db.Orders.Where(o => o.SiteId == site.Id && o.ExternalId == orderId && o.CancelledAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.CancelledAt, now), ct);
        return new { type = SiteEventTypes.OrderCancelled, order_id = orderId };
    }

    /// <summary>The site's products for these lines, created on first sight from the line's name and price.</summary>
    private async Task<Dictionary<string, Product>> ResolveLinesAsync(Site site, IReadOnlyList<SiteLine> lines, CancellationToken ct)
    {
        var slugs = lines.Select(l => l.Slug).ToList();
        var products = await db.Products.Where(p => p.SiteId == site.Id && slugs.Contains(p.Slug)).ToDictionaryAsync(p => p.Slug, ct);
        var missing = lines.Where(l => !products.ContainsKey(l.Slug)).ToList();
        if (missing.Count == 0) return products;
        var category = await SiteCategoryAsync(site, ct);
        foreach (var line in missing)
            products[line.Slug] = db.Products.Add(new Product
            {
                SiteId = site.Id, Slug = line.Slug, Name = line.Name ?? line.Slug, Brand = site.Name, Summary = "",
                PriceCents = line.PriceCents ?? 0, Category = category,
            }).Entity;
        await db.SaveChangesAsync(ct);
        return products;
    }

    private async Task<Category> SiteCategoryAsync(Site site, CancellationToken ct)
    {
        const string slug = "shop";
        var category = await db.Categories.FirstOrDefaultAsync(c => c.SiteId == site.Id && c.Slug == slug, ct);
        return category ?? db.Categories.Add(new Category { SiteId = site.Id, Slug = slug, Name = site.Name }).Entity;
    }

    private async Task<List<Tag>> SiteTagsAsync(Site site, IReadOnlyList<string> names, CancellationToken ct)
    {
        var wanted = names.Select(n => (Slug: TagSlug(n), Name: n)).Where(t => t.Slug.Length > 0).DistinctBy(t => t.Slug).ToList();
        var slugs = wanted.Select(t => t.Slug).ToList();
        var existing = await db.Tags.Where(t => t.SiteId == site.Id && slugs.Contains(t.Slug)).ToDictionaryAsync(t => t.Slug, ct);
        return wanted.Select(t => existing.TryGetValue(t.Slug, out var tag) ? tag
            : db.Tags.Add(new Tag { SiteId = site.Id, Slug = t.Slug, Name = t.Name, Kind = TagKind.Aesthetic }).Entity).ToList();
    }

    private static string TagSlug(string name)
    {
        var chars = name.ToLowerInvariant().Select(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : '-').ToArray();
        var slug = string.Join('-', new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
        return slug.Length > 64 ? slug[..64].Trim('-') : slug;
    }

    internal static string PhoneVisitorId(int siteId, string phone) =>
        System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes($"site:{siteId}:{phone}"))[..16]);

    private async Task RecordAsync(int siteId, SiteEventOutcome outcome, string? idempotencyKey, byte[]? body, bool isTest, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        db.Set<SiteRequest>().Add(new SiteRequest
        {
            SiteId = siteId,
            ReceivedAt = clock.GetUtcNow().UtcDateTime,
            EventType = outcome.EventType ?? (body is null ? null : PeekType(body)),
            IdempotencyKey = idempotencyKey is { Length: > 0 and <= SiteIdempotencyKey.MaxKeyLength } ? idempotencyKey : null,
            StatusCode = outcome.Status,
            Verdict = outcome.Verdict,
            Reason = outcome.Accepted && outcome.Verdict == Accepted ? null : Truncate(outcome.Detail is null ? outcome.Title : $"{outcome.Title}: {outcome.Detail}", 300),
            IsTest = isTest,
        });
        await db.SaveChangesAsync(ct);
        var cutoff = await db.Set<SiteRequest>().Where(r => r.SiteId == siteId).OrderByDescending(r => r.Id)
            .Skip(SiteRequest.Keep).Select(r => r.Id).FirstOrDefaultAsync(ct);
        if (cutoff > 0) await db.Set<SiteRequest>().Where(r => r.SiteId == siteId && r.Id <= cutoff).ExecuteDeleteAsync(ct);
    }

    /// <summary>The claimed type of a body that may be rejected, for the log only; a known name or nothing.</summary>
    private static string? PeekType(byte[] body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("type", out var t)
                && t.ValueKind == JsonValueKind.String && SiteEventTypes.All.Contains(t.GetString()!) ? t.GetString() : null;
        }
        catch (JsonException) { return null; }
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
