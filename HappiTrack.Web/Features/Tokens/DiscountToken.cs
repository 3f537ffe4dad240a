using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Tokens;

public enum TokenScope { Product = 0, Cart = 1, Order = 2 }

/// <summary>
/// A single-use personal discount. Only the SHA-256 of the value is stored here, so reading this
/// table (CRM, analytics, a backup) never yields a usable code; the raw value lives only in the
/// nudge that carries it until the token is redeemed or expires (see <c>TokensExpireJob</c>).
/// </summary>
public sealed class DiscountToken
{
    public int Id { get; set; }
    /// <summary>Lower-case hex SHA-256 of the raw value.</summary>
    public required string Hash { get; set; }
    public int ContactId { get; set; }
    public int Percent { get; set; }
    public TokenScope Scope { get; set; }
    /// <summary>For <see cref="TokenScope.Product"/>.</summary>
    public int? ProductId { get; set; }
    /// <summary>For <see cref="TokenScope.Cart"/>: the product ids of the rescued cart, comma-separated.</summary>
    public string? CartProductIds { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? RedeemedAt { get; set; }
    public int? RedeemedOrderId { get; set; }

    public IReadOnlySet<int> CartProducts => CartProductIds is null
        ? new HashSet<int>()
        : CartProductIds.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToHashSet();
}

internal sealed class DiscountTokenConfiguration : IEntityTypeConfiguration<DiscountToken>
{
    public void Configure(EntityTypeBuilder<DiscountToken> b)
    {
        b.Property(t => t.Hash).HasMaxLength(64);
        b.Property(t => t.CartProductIds).HasMaxLength(1024);
        b.HasIndex(t => t.Hash).IsUnique();
        b.HasIndex(t => new { t.ContactId, t.ExpiresAt });
        b.HasIndex(t => t.ExpiresAt);
        b.Ignore(t => t.CartProducts);
    }
}

public static class TokenValue
{
    /// <summary>192 random bits, 32 base64url characters.</summary>
    public const int Bytes = 24;
    public const int Length = 32;

    public static string New() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(Bytes));

    /// <summary>Cheap shape check before any database work; anything else is simply unknown.</summary>
    public static bool IsWellFormed(string? value) =>
        value is { Length: Length } && Base64Url.IsValid(value);

    public static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(value)));
}
