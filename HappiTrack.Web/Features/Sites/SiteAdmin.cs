using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Sites;

/// <summary>What an admin types to register a site.</summary>
public sealed record SiteRegistration(string? Name, string? Origins, string? TimeZone, string? CartRestoreUrlTemplate);

public sealed record SiteSummary(int Id, string Key, string Name, IReadOnlyList<string> Origins, string TimeZone,
    string? CartRestoreUrlTemplate, DateTime CreatedAt, DateTime? SecretRotatedAt, DateTime? RevokedAt, bool HasSecret)
{
    public bool IsRevoked => RevokedAt is not null;
}

/// <summary>A key and secret to show once: the secret is never shown again and cannot be recovered.</summary>
public sealed record SiteCredentials(int SiteId, string Name, string Key, string Secret);

/// <summary>The outcome of a registration: credentials, or one friendly message per field.</summary>
public sealed record SiteRegistrationResult(SiteCredentials? Created, IReadOnlyDictionary<string, string> Errors);

/// <summary>Register, rotate, revoke: the admin's actions on sites, each one audited.</summary>
public sealed class SiteAdmin(AppDbContext db, SiteSecrets secrets, SiteDirectory directory, IAuditLog audit, TimeProvider clock)
{
    public async Task<IReadOnlyList<SiteSummary>> ListAsync(CancellationToken ct = default) =>
        (await db.Set<Site>().AsNoTracking().OrderBy(s => s.Id).ToListAsync(ct)).Select(Summary).ToList();

    public async Task<SiteSummary?> FindAsync(int id, CancellationToken ct = default) =>
        await db.Set<Site>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct) is { } site ? Summary(site) : null;

    public static IReadOnlyDictionary<string, string> Validate(SiteRegistration input, out IReadOnlyList<string> origins)
    {
        var errors = new Dictionary<string, string>();
        var name = input.Name?.Trim() ?? "";
        if (name.Length == 0) errors[nameof(SiteRegistration.Name)] = "Give the site a name, e.g. the shop's name.";
        else if (name.Length > Site.MaxNameLength) errors[nameof(SiteRegistration.Name)] = $"Keep the name under {Site.MaxNameLength} characters.";
        else if (name.Any(char.IsControl)) errors[nameof(SiteRegistration.Name)] = "Type the name as plain text, without line breaks.";

        var parsed = SiteOrigins.Parse(input.Origins);
        origins = parsed.Origins;
        if (parsed.Errors.Count > 0) errors[nameof(SiteRegistration.Origins)] = string.Join(" ", parsed.Errors);
        else if (parsed.Origins.Count == 0) errors[nameof(SiteRegistration.Origins)] = "Add the shop's origin, e.g. https://shop.example (one per line).";

        var zone = input.TimeZone?.Trim() ?? "";
        if (zone.Length == 0) errors[nameof(SiteRegistration.TimeZone)] = "Choose the shop's time zone, e.g. Europe/Berlin.";
        else if (zone.Length > 64 || !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var found) || !found.HasIanaId)
            errors[nameof(SiteRegistration.TimeZone)] = $"'{Shorten(zone)}' is not an IANA time zone; write it like Europe/Berlin or America/New_York.";

        if (SiteCartRestoreTemplate.Validate(input.CartRestoreUrlTemplate, parsed.Origins) is { } templateError)
            errors[nameof(SiteRegistration.CartRestoreUrlTemplate)] = templateError;
        return errors;
    }

    public async Task<SiteRegistrationResult> RegisterAsync(SiteRegistration input, CancellationToken ct = default)
    {
        var errors = Validate(input, out var origins);
        if (errors.Count > 0) return new SiteRegistrationResult(null, errors);
        var secret = Site.NewSecret();
        var site = new Site
        {
            Key = Site.NewKey(),
            Name = input.Name!.Trim(),
            AllowedOrigins = SiteOrigins.Join(origins),
            TimeZone = input.TimeZone!.Trim(),
            CartRestoreUrlTemplate = string.IsNullOrWhiteSpace(input.CartRestoreUrlTemplate) ? null : input.CartRestoreUrlTemplate.Trim(),
            ProtectedSecret = secrets.Protect(secret),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Set<Site>().Add(site);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(AuditActions.SiteCreate, Target(site), new { site.Name, origins, site.TimeZone, site.CartRestoreUrlTemplate }, ct);
        return new SiteRegistrationResult(new SiteCredentials(site.Id, site.Name, site.Key, secret), new Dictionary<string, string>());
    }

    /// <summary>
    /// Sets (or, with an empty value, clears) where rescued carts of this site land; null when the site is unknown
    /// or revoked, else the friendly reason it was refused (empty when saved).
    /// </summary>
    public async Task<string?> SetCartRestoreTemplateAsync(int id, string? template, CancellationToken ct = default)
    {
        var site = await db.Set<Site>().FirstOrDefaultAsync(s => s.Id == id, ct);
        if (site is null || site.IsRevoked || id == SiteIds.Trusty) return null;
        if (SiteCartRestoreTemplate.Validate(template, site.Origins) is { } error) return error;
        var value = string.IsNullOrWhiteSpace(template) ? null : template.Trim();
        if (value == site.CartRestoreUrlTemplate) return "";
        site.CartRestoreUrlTemplate = value;
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(AuditActions.SiteCartRestore, Target(site), new { site.CartRestoreUrlTemplate }, ct);
        return "";
    }

    /// <summary>A new secret replaces the old one at once; null for an unknown or revoked site.</summary>
    public async Task<SiteCredentials?> RotateSecretAsync(int id, CancellationToken ct = default)
    {
        var site = await db.Set<Site>().FirstOrDefaultAsync(s => s.Id == id, ct);
        if (site is null || site.IsRevoked) return null;
        var secret = Site.NewSecret();
        site.ProtectedSecret = secrets.Protect(secret);
        site.SecretRotatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(AuditActions.SiteRotateSecret, Target(site), null, ct);
        return new SiteCredentials(site.Id, site.Name, site.Key, secret);
    }

    /// <summary>Revokes key and secret for good. Trusty (site 1) cannot be revoked: the storefront is the brain's own.</summary>
    public async Task<bool> RevokeAsync(int id, CancellationToken ct = default)
    {
        if (id == SiteIds.Trusty) return false;
        var site = await db.Set<Site>().FirstOrDefaultAsync(s => s.Id == id, ct);
        if (site is null || site.IsRevoked) return false;
        site.RevokedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        directory.Forget(site.Key);
        await audit.RecordAsync(AuditActions.SiteRevoke, Target(site), null, ct);
        return true;
    }

    private static string Target(Site site) => $"site:{site.Id}";

    private static SiteSummary Summary(Site s) => new(s.Id, s.Key, s.Name, s.Origins, s.TimeZone, s.CartRestoreUrlTemplate,
        s.CreatedAt, s.SecretRotatedAt, s.RevokedAt, s.ProtectedSecret is not null);

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
