using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using HappiTrack.Web.Data;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

using HappiTrack.Web.Features.Shared;

namespace HappiTrack.Web.Features.Admin;

public sealed record CreatedApiToken(int Id, string Name, string Secret);

public sealed record ApiTokenSummary(
    int Id, string Name, string Prefix, string CreatedBy, DateTime CreatedAt, DateTime? LastUsedAt, DateTime? RevokedAt)
{
    public bool IsRevoked => RevokedAt is not null;
}

/// <summary>Issues, lists, revokes and checks the named admin API tokens.</summary>
public sealed class ApiTokenService(AppDbContext db, TimeProvider clock, ILookupNormalizer normalizer, IAuditLog audit)
{
    public const int MaxNameLength = 80;
    /// <summary>Makes a leaked token recognisable to secret scanners and to people.</summary>
    public const string SecretPrefix = "htk_";
    private const int SecretBytes = 32;
    // A read happens on every API call anyway (revocation must bite at once); the write does not need to.
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    /// <summary>Null when the name is acceptable, otherwise a message for the person who typed it.</summary>
    public static string? ValidateName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "Give the token a name, e.g. the system that will use it.";
        if (name.Trim().Length > MaxNameLength) return $"The name can be at most {MaxNameLength} characters.";
        if (name.Any(char.IsControl)) return "The name cannot contain control characters.";
        return null;
    }

    public async Task<CreatedApiToken> CreateAsync(string name, string createdBy, CancellationToken ct = default)
    {
        if (ValidateName(name) is { } error) throw new ArgumentException(error, nameof(name));
        var secret = SecretPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes));
        var token = new ApiToken
        {
            Name = name.Trim(),
            TokenHash = Hash(secret),
            Prefix = secret[..(SecretPrefix.Length + 6)],
            CreatedBy = createdBy,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsAsync(createdBy, AuditActions.ApiTokenCreate, $"api_token:{token.Id}", new { name = token.Name, prefix = token.Prefix }, ct);
        return new CreatedApiToken(token.Id, token.Name, secret);
    }

    public Task<List<ApiTokenSummary>> ListAsync(CancellationToken ct = default) =>
        db.ApiTokens.AsNoTracking()
            .OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.Id)
            .Select(t => new ApiTokenSummary(t.Id, t.Name, t.Prefix, t.CreatedBy, t.CreatedAt, t.LastUsedAt, t.RevokedAt))
            .ToListAsync(ct);

    /// <summary>False when no such token exists; revoking twice keeps the first revocation's time.</summary>
    public async Task<bool> RevokeAsync(int id, string revokedBy, CancellationToken ct = default)
    {
        var token = await db.ApiTokens.SingleOrDefaultAsync(t => t.Id == id, ct);
        if (token is null) return false;
        if (token.RevokedAt is null)
        {
            token.RevokedAt = clock.GetUtcNow().UtcDateTime;
            token.RevokedBy = revokedBy;
            await db.SaveChangesAsync(ct);
            await audit.RecordAsAsync(revokedBy, AuditActions.ApiTokenRevoke, $"api_token:{token.Id}", new { name = token.Name }, ct);
        }
        return true;
    }

    /// <summary>
    /// Revokes every live token <paramref name="createdBy"/> made: a token must not outlive its
    /// creator's access (disabling or deleting an account). Returns how many were revoked.
    /// </summary>
    public Task<int> RevokeAllCreatedByAsync(string createdBy, string revokedBy, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return db.ApiTokens
            .Where(t => t.CreatedBy == createdBy && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now).SetProperty(t => t.RevokedBy, revokedBy), ct);
    }

    /// <summary>The live token whose secret was presented, or null.</summary>
    /// <remarks>
    /// The lookup compares hashes through an index, so its timing can only reveal something about a
    /// SHA-256 output the caller cannot steer, never about the secret itself.
    /// </remarks>
    public async Task<ApiToken?> FindActiveAsync(string presented, CancellationToken ct = default)
    {
        if (!presented.StartsWith(SecretPrefix, StringComparison.Ordinal)) return null;
        var hash = Hash(presented);
        var token = await db.ApiTokens.AsNoTracking()
            .SingleOrDefaultAsync(t => t.TokenHash == hash && t.RevokedAt == null, ct);
        if (token is null || !await CreatorStillAdminAsync(token.CreatedBy, ct)) return null;

        var now = clock.GetUtcNow().UtcDateTime;
        if (token.LastUsedAt is null || now - token.LastUsedAt.Value >= LastUsedResolution)
        {
            var staleBefore = now - LastUsedResolution;
            // Conditional so that parallel requests on several instances write at most once per interval.
            await db.ApiTokens
                .Where(t => t.Id == token.Id && (t.LastUsedAt == null || t.LastUsedAt <= staleBefore))
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), ct);
            token.LastUsedAt = now;
        }
        return token;
    }

    /// <summary>
    /// A token acts with its creator's authority, so it stops with it: the account must still exist,
    /// not be disabled and still hold the Admin role. This also covers tokens from before revocation
    /// on disable existed, and accounts removed outside the app.
    /// </summary>
    private async Task<bool> CreatorStillAdminAsync(string createdBy, CancellationToken ct)
    {
        var normalized = normalizer.NormalizeName(createdBy);
        var creator = await db.Users.AsNoTracking()
            .Where(u => u.NormalizedUserName == normalized)
            .Select(u => new
            {
                u.LockoutEnd,
                IsAdmin = db.UserRoles.Any(ur => ur.UserId == u.Id
                    && db.Roles.Any(r => r.Id == ur.RoleId && r.Name == AuthPolicies.AdminRole)),
            })
            .SingleOrDefaultAsync(ct);
        // A temporary lockout (failed passwords) does not stop integrations; disabling (LockoutEnd = max) does.
        return creator is not null && creator.IsAdmin && creator.LockoutEnd != DateTimeOffset.MaxValue;
    }

    internal static string Hash(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
