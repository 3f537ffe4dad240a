using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Admin;

/// <summary>
/// A named bearer token for the admin API. Only the SHA-256 of the secret is stored: the secret has
/// 256 random bits, so a fast hash is enough and lets the API look a token up by an index.
/// </summary>
public sealed class ApiToken
{
    public int Id { get; set; }
    public required string Name { get; set; }
    /// <summary>Lower-case hex SHA-256 of the whole secret.</summary>
    public required string TokenHash { get; set; }
    /// <summary>The first characters of the secret, so admins can tell tokens apart without the secret.</summary>
    public required string Prefix { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    public string? RevokedBy { get; set; }

    public bool IsRevoked => RevokedAt is not null;
}

internal sealed class ApiTokenConfiguration : IEntityTypeConfiguration<ApiToken>
{
    public void Configure(EntityTypeBuilder<ApiToken> b)
    {
        b.Property(t => t.Name).HasMaxLength(ApiTokenService.MaxNameLength);
        b.Property(t => t.TokenHash).HasMaxLength(64);
        b.Property(t => t.Prefix).HasMaxLength(16);
        b.Property(t => t.CreatedBy).HasMaxLength(256);
        b.Property(t => t.RevokedBy).HasMaxLength(256);
        b.HasIndex(t => t.TokenHash).IsUnique();
        b.Ignore(t => t.IsRevoked);
    }
}
