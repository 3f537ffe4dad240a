using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HappiTrack.Web.Features.Sites;

/// <summary>One line of a rescued cart as the shop knows it: its own slug, the quantity and its product page.</summary>
public sealed record SiteCartPayloadLine(
    [property: JsonPropertyName("slug")] string Slug,
    [property: JsonPropertyName("qty")] int Quantity,
    [property: JsonPropertyName("url")] string? Url);

/// <summary>The discount the rescue message promised, while its token is live; the shop decides whether to honour it.</summary>
public sealed record SiteCartPayloadOffer(
    [property: JsonPropertyName("percent")] int Percent,
    [property: JsonPropertyName("expires")] long ExpiresAt);

/// <summary>
/// The signed cart a rescue link hands to another shop (issue 20): <c>base64url(JSON)</c>, signed with
/// HMAC-SHA256 under the site's signing secret (hex), the same recipe as the events API's
/// <c>X-HappiTrack-Signature</c> but over the payload's ASCII text. Times are Unix seconds.
/// </summary>
public sealed record SiteCartPayload(
    [property: JsonPropertyName("v")] int Version,
    [property: JsonPropertyName("site")] string Site,
    /// <summary>The nudge's id: a shop that honours the offer can honour it once per nudge.</summary>
    [property: JsonPropertyName("nudge")] int Nudge,
    [property: JsonPropertyName("visitor_id")] string? VisitorId,
    [property: JsonPropertyName("lines")] IReadOnlyList<SiteCartPayloadLine> Lines,
    /// <summary>True when lines were left out to keep the URL short (<see cref="MaxChars"/>).</summary>
    [property: JsonPropertyName("more")] bool More,
    [property: JsonPropertyName("offer")] SiteCartPayloadOffer? Offer,
    [property: JsonPropertyName("iat")] long IssuedAt,
    [property: JsonPropertyName("exp")] long ExpiresAt)
{
    public const int CurrentVersion = 1;
    /// <summary>Encoded length bound: the whole restore URL must stay well under what browsers and servers accept.</summary>
    public const int MaxChars = 6000;
    public const int SignatureChars = 64;

    public string Encode() => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(this));

    /// <summary>Lower-case hex HMAC-SHA256 of the encoded payload's ASCII bytes, keyed with the site's secret.</summary>
    public static string Sign(string encoded, string secret) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(encoded)));

    /// <summary>
    /// The payload when <paramref name="signature"/> is this secret's signature of it (compared in constant time),
    /// else null. The signature is checked before a byte of the payload is parsed.
    /// </summary>
    public static SiteCartPayload? Verify(string? encoded, string? signature, string secret)
    {
        if (encoded is not { Length: > 0 and <= MaxChars } || signature is not { Length: SignatureChars } || !Base64Url.IsValid(encoded))
            return null;
        byte[] given;
        try { given = Convert.FromHexString(signature); }
        catch (FormatException) { return null; }
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(encoded));
        if (!CryptographicOperations.FixedTimeEquals(given, expected)) return null;
        try
        {
            var payload = JsonSerializer.Deserialize<SiteCartPayload>(Base64Url.DecodeFromChars(encoded));
            return payload is { Version: CurrentVersion, Lines: not null } ? payload : null;
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return null; // signed by us, so this is a payload of a future version, not an attack
        }
    }
}
