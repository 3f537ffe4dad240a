using System.Collections.Concurrent;
using HappiTrack.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Sites;

/// <summary>What the tracker's CORS check and ingestion need to know about an active site.</summary>
public sealed record SiteInfo(int Id, string Key, string Name, IReadOnlyList<string> AllowedOrigins, string TimeZone)
{
    /// <summary>Exact, ordinal: <paramref name="origin"/> is the browser's <c>Origin</c> header as sent.</summary>
    public bool AllowsOrigin(string? origin) => origin is not null && AllowedOrigins.Contains(origin, StringComparer.Ordinal);
}

/// <summary>
/// Resolves a public site key to its active site. Every tracker request asks, so answers (including "no such
/// site") are cached for <see cref="CacheFor"/>: a revocation is effective on every instance within that time,
/// and at once on the instance that revoked it (<see cref="Forget"/>).
/// </summary>
public sealed class SiteDirectory(IServiceScopeFactory scopes, TimeProvider clock)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    // Bounds the memory a stream of made-up keys can take; past it the cache starts over.
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, (SiteInfo? Site, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);

    public async Task<SiteInfo?> FindActiveByKeyAsync(string key)
    {
        if (!Site.IsWellFormedKey(key)) return null;
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Until > now) return cached.Site;

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var site = await db.Set<Site>().AsNoTracking().Where(s => s.Key == key && s.RevokedAt == null).FirstOrDefaultAsync();
        var info = site is null ? null : new SiteInfo(site.Id, site.Key, site.Name, site.Origins, site.TimeZone);
        if (_cache.Count >= MaxEntries) _cache.Clear();
        _cache[key] = (info, now + CacheFor);
        return info;
    }

    /// <summary>Drops a key's cached answer (after a revoke or an edit on this instance).</summary>
    public void Forget(string key) => _cache.TryRemove(key, out _);
}
