using System.Security.Cryptography;
using System.Text;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Sites;

/// <summary>
/// A shop the brain serves (issue 20): Trusty itself (site 1) or another store that embeds the tracker and
/// signs its commerce events. The key is public (it is in the shop's HTML); the secret is not.
/// </summary>
public sealed class Site
{
    public const int MaxNameLength = 100;
    public const int MaxOrigins = 20;
    public const int MaxTemplateLength = 500;

    public int Id { get; set; }
    /// <summary>Public, URL-safe, unguessable (128 random bits): names the site in <c>t.js</c> and the events API.</summary>
    public required string Key { get; set; }
    public required string Name { get; set; }
    /// <summary>Exact <c>scheme://host[:port]</c> origins, one per line, normalised by <see cref="SiteOrigins"/>.</summary>
    public string AllowedOrigins { get; set; } = "";
    /// <summary>IANA time zone id of the shop (its days and quiet hours).</summary>
    public required string TimeZone { get; set; }
    /// <summary>
    /// The signing secret protected with ASP.NET Core Data Protection: the server needs the raw secret to
    /// verify an HMAC, so it cannot be hashed; the protector's keys live apart from this column's backups.
    /// Null for Trusty, which signs nothing.
    /// </summary>
    public string? ProtectedSecret { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? SecretRotatedAt { get; set; }
    /// <summary>A revoked site's key and secret stop working everywhere within seconds (<see cref="SiteDirectory"/>).</summary>
    public DateTime? RevokedAt { get; set; }
    /// <summary>
    /// Where a rescued cart sends the shopper on the shop's own domain, e.g. <c>https://shop.example/cart/restore?p={payload}</c>;
    /// null sends them to a HappiTrack page listing the cart.
    /// </summary>
    public string? CartRestoreUrlTemplate { get; set; }

    public bool IsRevoked => RevokedAt is not null;

    public IReadOnlyList<string> Origins => SiteOrigins.Split(AllowedOrigins);

    /// <summary>
    /// 120 random bits, base64url (20 characters): unguessable, safe in a URL path and an HTML attribute, and short
    /// enough that the consent source <c>site:&lt;key&gt; order</c> fits the 32 characters consent sources have.
    /// </summary>
    public static string NewKey() => Base64UrlEncode(RandomNumberGenerator.GetBytes(KeyBytes));

    private const int KeyBytes = 15;
    public const int KeyLength = 20;

    /// <summary>256 random bits, base64url, prefixed so a leaked secret is recognisable in logs and scanners.</summary>
    public static string NewSecret() => "hts_" + Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    private static string Base64UrlEncode(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    public static bool IsWellFormedKey(string? key) =>
        key is { Length: KeyLength } && key.AsSpan().IndexOfAnyExcept("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") < 0;

    /// <summary>Consent given by the shopper at this site's checkout, as reported by its signed <c>order_placed</c>.</summary>
    public string OrderConsentSource => $"site:{Key} order";
}

internal sealed class SiteConfiguration : IEntityTypeConfiguration<Site>
{
    public void Configure(EntityTypeBuilder<Site> b)
    {
        b.ToTable("Sites");
        b.Property(s => s.Key).HasMaxLength(40);
        b.HasIndex(s => s.Key).IsUnique();
        b.Property(s => s.Name).HasMaxLength(Site.MaxNameLength);
        b.Property(s => s.AllowedOrigins).HasMaxLength(4000);
        b.Property(s => s.TimeZone).HasMaxLength(64);
        b.Property(s => s.ProtectedSecret).HasMaxLength(1000);
        b.Property(s => s.CartRestoreUrlTemplate).HasMaxLength(Site.MaxTemplateLength);
        b.Ignore(s => s.IsRevoked);
        b.Ignore(s => s.Origins);
    }
}

/// <summary>
/// One request received on a site's events API, accepted or rejected and why, for the integration page.
/// Bounded: only the last <see cref="Keep"/> per site are kept.
/// </summary>
public sealed class SiteRequest
{
    public const int Keep = 200;

    public long Id { get; set; }
    public int SiteId { get; set; }
    public DateTime ReceivedAt { get; set; }
    /// <summary>The event type the body claimed, when it could be read.</summary>
    public string? EventType { get; set; }
    public string? IdempotencyKey { get; set; }
    public int StatusCode { get; set; }
    /// <summary><c>accepted</c>, <c>replayed</c> or <c>rejected</c>.</summary>
    public required string Verdict { get; set; }
    /// <summary>Why, in a short sentence for the shop's developer (never the body or the secret).</summary>
    public string? Reason { get; set; }
    public bool IsTest { get; set; }
}

internal sealed class SiteRequestConfiguration : IEntityTypeConfiguration<SiteRequest>
{
    public void Configure(EntityTypeBuilder<SiteRequest> b)
    {
        b.ToTable("SiteRequests");
        b.Property(r => r.EventType).HasMaxLength(32);
        b.Property(r => r.IdempotencyKey).HasMaxLength(SiteIdempotencyKey.MaxKeyLength);
        b.Property(r => r.Verdict).HasMaxLength(16);
        b.Property(r => r.Reason).HasMaxLength(300);
        b.HasIndex(r => new { r.SiteId, r.Id });
    }
}

/// <summary>
/// An <c>Idempotency-Key</c> a site used, with the hash of its body and the verdict it got: a replay gets the
/// same answer and stores nothing new; the same key with another body is refused.
/// </summary>
public sealed class SiteIdempotencyKey
{
    public const int MaxKeyLength = 100;

    public long Id { get; set; }
    public int SiteId { get; set; }
    public required string Key { get; set; }
    /// <summary>SHA-256 of the raw body, hex.</summary>
    public required string BodyHash { get; set; }
    public int StatusCode { get; set; }
    /// <summary>The JSON answered the first time.</summary>
    public required string Response { get; set; }
    public DateTime CreatedAt { get; set; }

    public static string Hash(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(SHA256.HashData(body));
}

internal sealed class SiteIdempotencyKeyConfiguration : IEntityTypeConfiguration<SiteIdempotencyKey>
{
    public void Configure(EntityTypeBuilder<SiteIdempotencyKey> b)
    {
        b.ToTable("SiteIdempotencyKeys");
        b.Property(k => k.Key).HasMaxLength(SiteIdempotencyKey.MaxKeyLength);
        b.Property(k => k.BodyHash).HasMaxLength(64);
        b.Property(k => k.Response).HasMaxLength(2000);
        b.HasIndex(k => new { k.SiteId, k.Key }).IsUnique();
        b.HasIndex(k => k.CreatedAt);
    }
}
