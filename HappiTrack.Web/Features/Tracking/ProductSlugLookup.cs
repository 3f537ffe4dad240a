using System.Collections.Concurrent;
using System.Collections.Frozen;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Tracking;

/// <summary>
/// Slug → product id for the ingestion path, kept in memory (the catalog is small and read on every
/// event). Refreshed every few minutes, and sooner when an unknown slug shows up, so new products
/// are resolved without a restart while a stream of bogus slugs cannot hammer the database.
/// </summary>
public sealed class ProductSlugLookup(IServiceScopeFactory scopes, TimeProvider clock, ILogger<ProductSlugLookup> logger)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MinAgeForMissRefresh = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    // One catalogue per site: a slug only ever resolves to a product of the site the event came from.
    private readonly ConcurrentDictionary<int, Snapshot> _snapshots = new();

    private sealed record Snapshot(FrozenDictionary<string, int> Ids, DateTimeOffset LoadedAt);

    /// <summary>A resolver for one request; it never touches the database itself.</summary>
    public ValueTask<Func<string, int?>> GetResolverAsync(CancellationToken ct) => GetResolverAsync(SiteIds.Trusty, ct);

    /// <summary>A resolver over <paramref name="siteId"/>'s catalogue only.</summary>
    public async ValueTask<Func<string, int?>> GetResolverAsync(int siteId, CancellationToken ct)
    {
        _snapshots.TryGetValue(siteId, out var snapshot);
        if (snapshot is null || clock.GetUtcNow() - snapshot.LoadedAt > MaxAge)
            snapshot = await RefreshAsync(siteId, ct);
        var missed = false;
        return slug =>
        {
            if (snapshot.Ids.TryGetValue(slug, out var id)) return id;
            if (!missed && clock.GetUtcNow() - snapshot.LoadedAt > MinAgeForMissRefresh)
            {
                missed = true;
                _ = RefreshInBackgroundAsync(siteId);
            }
            return null;
        };
    }

    private async Task RefreshInBackgroundAsync(int siteId)
    {
        try
        {
            await RefreshAsync(siteId, CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not refresh the product slugs; the previous list stays in use");
        }
    }

    private async Task<Snapshot> RefreshAsync(int siteId, CancellationToken ct)
    {
        await _refresh.WaitAsync(ct);
        try
        {
            _snapshots.TryGetValue(siteId, out var current);
            if (current is not null && clock.GetUtcNow() - current.LoadedAt < MinAgeForMissRefresh) return current;
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var ids = await db.Products.AsNoTracking().Where(p => p.SiteId == siteId).Select(p => new { p.Slug, p.Id }).ToListAsync(ct);
            var fresh = new Snapshot(ids.ToFrozenDictionary(p => p.Slug, p => p.Id, StringComparer.Ordinal), clock.GetUtcNow());
            _snapshots[siteId] = fresh;
            return fresh;
        }
        finally
        {
            _refresh.Release();
        }
    }
}
