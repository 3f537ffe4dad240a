using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace HappiTrack.Web.Features.Tracking;

/// <summary>One validated client event, ready to store. <see cref="Data"/> is JSON the server wrote itself.</summary>
/// <param name="ClientId">The tracker's own id for the event (SPEC §10): a re-sent event with an id the visitor already stored is skipped.</param>
public sealed record IngestEvent(string Type, int? ProductId, DateTime? ClientTime, string? Path, string? Data, string? ClientId = null);

/// <summary>The outcome of reading a <c>/api/track</c> body: the events, or the first bad field.</summary>
public readonly record struct TrackPayloadResult(IReadOnlyList<IngestEvent>? Events, string? Field, string? Error)
{
    public bool IsValid => Events is not null;
    public static TrackPayloadResult Invalid(string field, string error) => new(null, field, error);
}

/// <summary>
/// Parses and validates the tracker's payload (SPEC §3) without trusting any of it: only the fields
/// listed here are read, each with a type, a range and a format; everything else is ignored.
/// Unknown but well-formed product slugs are dropped (the event is kept without a product), since a
/// product removed after the page was rendered must not make the whole batch fail.
/// </summary>
public static class TrackPayload
{
    public const int MaxEvents = 50;
    public const int MaxBodyBytes = 16 * 1024;
    public const int MaxSlugLength = 96;
    public const int MaxLabelLength = 64;
    public const int MaxPathLength = 512;
    public const int MaxHostLength = 253;
    public const int GridSize = 20;
    public const int MaxMouseCells = 100;
    public const long MinLingerMs = 3_000;
    public const long MaxLingerMs = 3_600_000;
    public const long MaxExitMs = 86_400_000;
    /// <summary>11 URL-safe characters hold 64 random bits (base64url); the tracker sends 24 (a time prefix and 96 random bits).</summary>
    public const int MinClientIdLength = 11;
    public const int MaxClientIdLength = 64;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 8 };

    public static TrackPayloadResult Parse(ReadOnlyMemory<byte> body, DateTime serverNow, TimeSpan clientTimeWindow, Func<string, int?> productIdBySlug)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException)
        {
            return TrackPayloadResult.Invalid("body", "The body is not valid JSON.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return TrackPayloadResult.Invalid("body", "The body must be a JSON object.");
            if (!root.TryGetProperty("v", out var version) || version.ValueKind != JsonValueKind.Number
                || !version.TryGetInt32(out var v) || v != 1)
                return TrackPayloadResult.Invalid("v", "Only payload version 1 is supported.");
            if (!root.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array)
                return TrackPayloadResult.Invalid("events", "'events' must be an array.");
            var count = events.GetArrayLength();
            if (count is < 1 or > MaxEvents)
                return TrackPayloadResult.Invalid("events", $"Send between 1 and {MaxEvents} events.");

            var result = new IngestEvent[count];
            var i = 0;
            foreach (var element in events.EnumerateArray())
            {
                var error = ParseEvent(element, $"events[{i}]", serverNow, clientTimeWindow, productIdBySlug, out var parsed);
                if (error is not null) return error.Value;
                result[i++] = parsed!;
            }
            return new TrackPayloadResult(result, null, null);
        }
    }

    private static TrackPayloadResult? ParseEvent(JsonElement e, string at, DateTime now, TimeSpan window,
        Func<string, int?> productIdBySlug, out IngestEvent? parsed)
    {
        parsed = null;
        if (e.ValueKind != JsonValueKind.Object) return TrackPayloadResult.Invalid(at, "Each event must be an object.");

        if (!e.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
            return TrackPayloadResult.Invalid($"{at}.type", "'type' is required.");
        var type = ClientType(typeElement);
        if (type is null) return TrackPayloadResult.Invalid($"{at}.type", "Unknown event type.");

        // Optional for old clients; the tracker always sends one so that re-sending a batch is safe.
        string? clientId = null;
        if (e.TryGetProperty("id", out var idElement) && idElement.ValueKind != JsonValueKind.Null)
        {
            clientId = StringOrNull(idElement);
            if (!IsClientId(clientId))
                return TrackPayloadResult.Invalid($"{at}.id", $"'id' must be {MinClientIdLength} to {MaxClientIdLength} URL-safe characters (A-Z, a-z, 0-9, - and _).");
        }

        string? slug = null;
        if (e.TryGetProperty("slug", out var slugElement) && slugElement.ValueKind != JsonValueKind.Null)
        {
            slug = StringOrNull(slugElement);
            if (!IsSlug(slug)) return TrackPayloadResult.Invalid($"{at}.slug", "'slug' must be a product slug (a-z, 0-9 and dashes).");
        }
        if (slug is null && NeedsProduct(type)) return TrackPayloadResult.Invalid($"{at}.slug", $"'{type}' needs the product's slug.");

        DateTime? clientTime = null;
        if (e.TryGetProperty("ts", out var ts) && ts.ValueKind != JsonValueKind.Null)
        {
            if (ts.ValueKind != JsonValueKind.Number || !ts.TryGetDouble(out var ms) || !double.IsFinite(ms))
                return TrackPayloadResult.Invalid($"{at}.ts", "'ts' must be the client's time in milliseconds since 1970.");
            clientTime = ClampClientTime(ms, now, window);
        }

        JsonElement data = default;
        var hasData = e.TryGetProperty("data", out data) && data.ValueKind != JsonValueKind.Null;
        if (hasData && data.ValueKind != JsonValueKind.Object) return TrackPayloadResult.Invalid($"{at}.data", "'data' must be an object.");

        string? path = null;
        if (hasData && data.TryGetProperty("path", out var pathElement) && pathElement.ValueKind != JsonValueKind.Null)
        {
            path = StringOrNull(pathElement);
            if (!IsPath(path)) return TrackPayloadResult.Invalid($"{at}.data.path", $"'path' must start with '/' and be at most {MaxPathLength} printable ASCII characters.");
        }

        string? stored;
        var dataError = type switch
        {
            EventTypes.PageView => ReadPageView(data, hasData, at, out stored),
            EventTypes.LingerSpecs => ReadMilliseconds(data, hasData, $"{at}.data.ms", MinLingerMs, MaxLingerMs, out stored),
            EventTypes.ExitIntent => ReadMilliseconds(data, hasData, $"{at}.data.ms", 0, MaxExitMs, out stored),
            EventTypes.Click => ReadLabel(data, hasData, at, out stored),
            EventTypes.Mouse => ReadCells(data, hasData, at, out stored),
            EventTypes.ScrollDepth => ReadPercent(data, hasData, at, out stored),
            _ => NoData(out stored),
        };
        if (dataError is not null) return dataError;

        var productId = slug is null ? null : productIdBySlug(slug);
        parsed = new IngestEvent(type, productId, clientTime, path, stored, clientId);
        return null;
    }

    /// <summary>The client clock is only a hint: it is pulled into [now − window, now + window].</summary>
    public static DateTime ClampClientTime(double unixMs, DateTime serverNow, TimeSpan window)
    {
        var nowMs = (serverNow - DateTime.UnixEpoch).TotalMilliseconds;
        var windowMs = window.TotalMilliseconds;
        var clamped = Math.Clamp(unixMs, nowMs - windowMs, nowMs + windowMs);
        return DateTime.UnixEpoch.AddMilliseconds(Math.Round(clamped));
    }

    /// <summary>Returns the interned wire name, so stored rows do not each carry their own copy.</summary>
    private static string? ClientType(JsonElement element)
    {
        foreach (var known in ClientTypeNames)
            if (element.ValueEquals(known)) return known;
        return null;
    }

    private static readonly string[] ClientTypeNames = EventTypes.ClientTypes.ToArray();

    private static bool NeedsProduct(string type) =>
        type is EventTypes.ProductView or EventTypes.LingerSpecs or EventTypes.AddToCart;

    public static bool IsSlug(string? s)
    {
        if (string.IsNullOrEmpty(s) || s.Length > MaxSlugLength || s[0] == '-' || s[^1] == '-') return false;
        var previousDash = false;
        foreach (var c in s)
        {
            var dash = c == '-';
            if (!(dash || c is >= 'a' and <= 'z' or >= '0' and <= '9') || (dash && previousDash)) return false;
            previousDash = dash;
        }
        return true;
    }

    public static bool IsClientId(string? s)
    {
        if (s is null || s.Length is < MinClientIdLength or > MaxClientIdLength) return false;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return false;
        return true;
    }

    public static bool IsPath(string? s)
    {
        if (string.IsNullOrEmpty(s) || s.Length > MaxPathLength || s[0] != '/') return false;
        foreach (var c in s)
            if (c is < '!' or > '~') return false;
        return true;
    }

    public static bool IsLabel(string? s)
    {
        if (string.IsNullOrEmpty(s) || s.Length > MaxLabelLength || s[0] == ' ' || s[^1] == ' ') return false;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c is ' ' or '-' or '_' or '.' or ':' or '/')) return false;
        return true;
    }

    public static bool IsHost(string? s)
    {
        if (string.IsNullOrEmpty(s) || s.Length > MaxHostLength) return false;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or ':')) return false;
        return true;
    }

    /// <summary>The string value, or null for other kinds and for strings .NET cannot hold (lone surrogates).</summary>
    private static string? StringOrNull(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.String) return null;
        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static TrackPayloadResult? NoData(out string? stored)
    {
        stored = null;
        return null;
    }

    private static TrackPayloadResult? ReadPageView(JsonElement data, bool hasData, string at, out string? stored)
    {
        stored = null;
        if (!hasData || !data.TryGetProperty("ref", out var referrer) || referrer.ValueKind == JsonValueKind.Null) return null;
        var host = StringOrNull(referrer);
        if (host == "") return null;
        if (!IsHost(host)) return TrackPayloadResult.Invalid($"{at}.data.ref", "'ref' must be the referrer's host name.");
        // The host's characters were checked above, so it needs no JSON escaping.
        stored = $"{{\"ref\":\"{host!.ToLowerInvariant()}\"}}";
        return null;
    }

    private static TrackPayloadResult? ReadMilliseconds(JsonElement data, bool hasData, string field, long min, long max, out string? stored)
    {
        stored = null;
        if (!hasData || !data.TryGetProperty("ms", out var ms) || ms.ValueKind != JsonValueKind.Number
            || !ms.TryGetInt64(out var value) || value < min || value > max)
            return TrackPayloadResult.Invalid(field, $"'ms' must be a whole number of milliseconds from {min} to {max}.");
        stored = $"{{\"ms\":{value.ToString(CultureInfo.InvariantCulture)}}}";
        return null;
    }

    private static TrackPayloadResult? ReadLabel(JsonElement data, bool hasData, string at, out string? stored)
    {
        stored = null;
        var label = hasData && data.TryGetProperty("label", out var l) ? StringOrNull(l) : null;
        if (!IsLabel(label))
            return TrackPayloadResult.Invalid($"{at}.data.label", $"'label' must be 1 to {MaxLabelLength} letters, digits, spaces or - _ . : /.");
        stored = $"{{\"label\":\"{label}\"}}";
        return null;
    }

    private static TrackPayloadResult? ReadPercent(JsonElement data, bool hasData, string at, out string? stored)
    {
        stored = null;
        if (!hasData || !data.TryGetProperty("pct", out var pct) || pct.ValueKind != JsonValueKind.Number
            || !pct.TryGetInt32(out var value) || value is < 0 or > 100)
            return TrackPayloadResult.Invalid($"{at}.data.pct", "'pct' must be a whole percentage from 0 to 100.");
        stored = $"{{\"pct\":{value.ToString(CultureInfo.InvariantCulture)}}}";
        return null;
    }

    private static TrackPayloadResult? ReadCells(JsonElement data, bool hasData, string at, out string? stored)
    {
        stored = null;
        if (!hasData || !data.TryGetProperty("cells", out var cells) || cells.ValueKind != JsonValueKind.Array
            || cells.GetArrayLength() is < 1 or > MaxMouseCells)
            return TrackPayloadResult.Invalid($"{at}.data.cells", $"'cells' must be an array of 1 to {MaxMouseCells} grid cells.");
        var json = new StringBuilder("{\"cells\":[", 16 + cells.GetArrayLength() * 4);
        var i = 0;
        foreach (var cell in cells.EnumerateArray())
        {
            if (cell.ValueKind != JsonValueKind.Number || !cell.TryGetInt32(out var index) || index < 0 || index >= GridSize * GridSize)
                return TrackPayloadResult.Invalid($"{at}.data.cells[{i}]", $"A cell is row × {GridSize} + column, from 0 to {GridSize * GridSize - 1}.");
            if (i++ > 0) json.Append(',');
            json.Append(index.ToString(CultureInfo.InvariantCulture));
        }
        stored = json.Append("]}").ToString();
        return null;
    }
}

/// <summary>
/// The shape of a <c>POST /api/track</c> body, for the OpenAPI document only: <see cref="TrackPayload.Parse"/> reads the
/// raw JSON itself, so each bad field is named in the 400 (e.g. <c>events[3].slug</c>).
/// </summary>
public sealed record TrackBatchDocument(
    [property: Description("Payload version: 1.")] int V,
    [property: Description("1 to 50 events.")] IReadOnlyList<TrackEventDocument> Events);

public sealed record TrackEventDocument(
    [property: Description("page_view, product_view, linger_specs, click, add_to_cart, remove_from_cart, exit_intent, mouse or scroll_depth.")] string Type,
    [property: Description("The client's id of the event (11-64 URL-safe characters), so a re-sent batch is stored once.")] string? Id,
    [property: Description("The product's slug; required for product events.")] string? Slug,
    [property: Description("The client's time in milliseconds since 1970 (clamped to the server's).")] double? Ts,
    [property: Description("Per type: path and ref (page_view), ms (linger_specs, exit_intent), label (click), cells (mouse), pct (scroll_depth).")]
    Dictionary<string, object?>? Data);
