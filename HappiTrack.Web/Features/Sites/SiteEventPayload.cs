using System.Globalization;
using System.Text.Json;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Contacts;

namespace HappiTrack.Web.Features.Sites;

/// <summary>The commerce event types a site's server may send.</summary>
public static class SiteEventTypes
{
    public const string ProductUpserted = "product_upserted";
    public const string CartUpdated = "cart_updated";
    public const string OrderPlaced = "order_placed";
    public const string OrderCancelled = "order_cancelled";
    /// <summary>The integration page's "send test event": checks key, signature and pipeline, stores nothing.</summary>
    public const string Test = "test";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
        { ProductUpserted, CartUpdated, OrderPlaced, OrderCancelled, Test };
}

public sealed record SiteLine(string Slug, string? Name, long? PriceCents, int Quantity);

public sealed record ProductUpsert(string Slug, string Name, long PriceCents, IReadOnlyList<string> Tags, string? Url, string? ImageUrl);

public sealed record CartUpdate(string? VisitorId, string? Phone, IReadOnlyList<SiteLine> Lines);

public sealed record OrderPlacement(string OrderId, string? VisitorId, string Phone, string? Name, bool OptIn, long TotalCents, IReadOnlyList<SiteLine> Lines);

/// <summary>
/// A parsed, validated body: <c>{"type": "...", "data": {...}}</c>. Every field is checked here, so the
/// handlers only see well-formed values; a problem names the field and says what was expected.
/// </summary>
public sealed class SiteEventPayload
{
    public const int MaxLines = 100;
    public const int MaxTags = 20;
    public const int MaxQuantity = 999;
    public const long MaxCents = 100_000_000_00;

    public string? Type { get; private init; }
    public string? Field { get; private init; }
    public string? Error { get; private init; }
    public bool IsValid => Error is null;

    public ProductUpsert? Product { get; private init; }
    public CartUpdate? Cart { get; private init; }
    public OrderPlacement? Order { get; private init; }
    public string? CancelledOrderId { get; private init; }

    private static SiteEventPayload Fail(string field, string error, string? type = null) => new() { Field = field, Error = error, Type = type };

    public static SiteEventPayload Parse(ReadOnlySpan<byte> body)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException) { return Fail("body", "The body is not valid JSON. Send {\"type\": \"order_placed\", \"data\": {...}}."); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Fail("body", "The body must be a JSON object {\"type\": ..., \"data\": {...}}.");
            if (!root.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String || !SiteEventTypes.All.Contains(typeElement.GetString()!))
                return Fail("type", $"'type' must be one of: {string.Join(", ", SiteEventTypes.All)}.");
            var type = typeElement.GetString()!;
            if (type == SiteEventTypes.Test) return new SiteEventPayload { Type = type };
            if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
                return Fail("data", "'data' must be an object with the event's fields.", type);
            try
            {
                return type switch
                {
                    SiteEventTypes.ProductUpserted => new SiteEventPayload { Type = type, Product = ParseProduct(data) },
                    SiteEventTypes.CartUpdated => new SiteEventPayload { Type = type, Cart = ParseCart(data) },
                    SiteEventTypes.OrderPlaced => new SiteEventPayload { Type = type, Order = ParseOrder(data) },
                    _ => new SiteEventPayload { Type = type, CancelledOrderId = OrderId(data) },
                };
            }
            catch (InvalidField e)
            {
                return Fail(e.Field, e.Message, type);
            }
        }
    }

    private sealed class InvalidField(string field, string message) : Exception(message)
    {
        public string Field { get; } = field;
    }

    private static ProductUpsert ParseProduct(JsonElement data)
    {
        var slug = Slug(data, "slug");
        var name = Text(data, "name", 200, required: true)!;
        var price = Cents(data, "price", required: true)!.Value;
        var tags = new List<string>();
        if (data.TryGetProperty("tags", out var tagsElement) && tagsElement.ValueKind != JsonValueKind.Null)
        {
            if (tagsElement.ValueKind != JsonValueKind.Array) throw new InvalidField("tags", "'tags' must be an array of strings.");
            foreach (var tag in tagsElement.EnumerateArray())
            {
                if (tag.ValueKind != JsonValueKind.String || tag.GetString() is not { Length: > 0 and <= 64 } t || t.Any(char.IsControl))
                    throw new InvalidField("tags", "Each tag must be a string of 1–64 characters.");
                if (!tags.Contains(t.Trim())) tags.Add(t.Trim());
            }
            if (tags.Count > MaxTags) throw new InvalidField("tags", $"At most {MaxTags} tags.");
        }
        return new ProductUpsert(slug, name, price, tags, Url(data, "url"), Url(data, "image_url"));
    }

    private static CartUpdate ParseCart(JsonElement data)
    {
        var visitor = VisitorId(data);
        var phone = Phone(data, required: false);
        if (visitor is null && phone is null) throw new InvalidField("visitor_id", "Send the shopper's 'visitor_id' (from the tracker) or their 'phone'.");
        return new CartUpdate(visitor, phone, Lines(data, allowEmpty: true));
    }

    private static OrderPlacement ParseOrder(JsonElement data)
    {
        var orderId = OrderId(data);
        var phone = Phone(data, required: true)!;
        var name = Text(data, "name", 100, required: false);
        var optIn = false;
        if (data.TryGetProperty("opt_in", out var optInElement) && optInElement.ValueKind != JsonValueKind.Null)
        {
            if (optInElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw new InvalidField("opt_in", "'opt_in' must be true or false.");
            optIn = optInElement.GetBoolean();
        }
        var lines = Lines(data, allowEmpty: false);
        var total = Cents(data, "total", required: true)!.Value;
        return new OrderPlacement(orderId, VisitorId(data), phone, name, optIn, total, lines);
    }

    private static string OrderId(JsonElement data)
    {
        var id = Text(data, "order_id", 64, required: true)!;
        if (id.Any(c => c <= ' ' || c > '~')) throw new InvalidField("order_id", "'order_id' must be printable ASCII without spaces.");
        return id;
    }

    private static IReadOnlyList<SiteLine> Lines(JsonElement data, bool allowEmpty)
    {
        if (!data.TryGetProperty("lines", out var linesElement) || linesElement.ValueKind != JsonValueKind.Array)
            throw new InvalidField("lines", "'lines' must be an array of {\"slug\", \"qty\", \"name\", \"price\"}.");
        var lines = new List<SiteLine>();
        foreach (var line in linesElement.EnumerateArray())
        {
            if (line.ValueKind != JsonValueKind.Object) throw new InvalidField("lines", "Each line must be an object {\"slug\", \"qty\"}.");
            var slug = Slug(line, "slug", "lines[].slug");
            if (!line.TryGetProperty("qty", out var qty) || !qty.TryGetInt32(out var quantity) || quantity is < 1 or > MaxQuantity)
                throw new InvalidField("lines[].qty", $"Each line's 'qty' must be a whole number from 1 to {MaxQuantity}.");
            if (lines.Any(l => l.Slug == slug)) throw new InvalidField("lines[].slug", $"'{slug}' appears twice; send one line per product.");
            lines.Add(new SiteLine(slug, Text(line, "name", 200, required: false), Cents(line, "price", required: false), quantity));
        }
        if (lines.Count > MaxLines) throw new InvalidField("lines", $"At most {MaxLines} lines.");
        if (!allowEmpty && lines.Count == 0) throw new InvalidField("lines", "An order needs at least one line.");
        return lines;
    }

    private static string Slug(JsonElement data, string name, string? field = null)
    {
        var value = data.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
        if (!Slugs.IsSlug(value)) throw new InvalidField(field ?? name, $"'{name}' must be a slug: lower-case letters, digits and single hyphens, at most {Slugs.MaxLength} characters.");
        return value!;
    }

    private static string? Text(JsonElement data, string name, int max, bool required)
    {
        if (!data.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null)
            return required ? throw new InvalidField(name, $"'{name}' is required.") : null;
        if (e.ValueKind != JsonValueKind.String || e.GetString()!.Trim() is not { Length: > 0 } text || text.Length > max || text.Any(char.IsControl))
            throw new InvalidField(name, $"'{name}' must be plain text of 1–{max} characters.");
        return text;
    }

    /// <summary>A price in the shop's currency as a JSON number with at most two decimals (<c>19.99</c>), kept in cents.</summary>
    private static long? Cents(JsonElement data, string name, bool required)
    {
        if (!data.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null)
            return required ? throw new InvalidField(name, $"'{name}' is required.") : null;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetDecimal(out var amount) || amount < 0 || decimal.Round(amount, 2) != amount || amount * 100 > MaxCents)
            throw new InvalidField(name, $"'{name}' must be a non-negative amount with at most two decimals, e.g. 19.99.");
        return (long)(amount * 100);
    }

    private static string? Url(JsonElement data, string name)
    {
        var text = Text(data, name, 1000, required: false);
        if (text is null) return null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp || uri.UserInfo.Length > 0)
            throw new InvalidField(name, $"'{name}' must be an absolute http(s) URL.");
        return uri.AbsoluteUri;
    }

    private static string? Phone(JsonElement data, bool required)
    {
        var text = Text(data, "phone", 40, required);
        if (text is null) return null;
        if (!PhoneNumber.TryNormalize(text, out var e164)) throw new InvalidField("phone", "'phone' is not a valid phone number. " + PhoneNumber.FormatHint);
        return e164;
    }

    /// <summary>The tracker's visitor id on the shop (22 base64url characters); anything else is refused, not guessed at.</summary>
    private static string? VisitorId(JsonElement data)
    {
        var text = Text(data, "visitor_id", 32, required: false);
        if (text is null) return null;
        if (!Tracking.VisitorCookie.IsWellFormed(text)) throw new InvalidField("visitor_id", "'visitor_id' must be the id the tracker keeps (22 characters).");
        return text;
    }

    internal static string Invariant(long cents) => (cents / 100m).ToString("0.00", CultureInfo.InvariantCulture);
}
