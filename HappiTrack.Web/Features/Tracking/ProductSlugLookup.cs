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
    private volatile Snapshot? _snapshot;

    private sealed record Snapshot(FrozenDictionary<string, int> Ids, DateTimeOffset LoadedAt);

    /// <summary>A resolver for one request; it never touches the database itself.</summary>
    public async ValueTask<Func<string, int?>> GetResolverAsync(CancellationToken ct)
    {
        var snapshot = _snapshot;
        if (snapshot is null || clock.GetUtcNow() - snapshot.LoadedAt > MaxAge)
            snapshot = await RefreshAsync(ct);
        var missed = false;
        return slug =>
        {
            if (snapshot.Ids.TryGetValue(slug, out var id)) return id;
            if (!missed && clock.GetUtcNow() - snapshot.LoadedAt > MinAgeForMissRefresh)
            {
                missed = true;
                _ = RefreshInBackgroundAsync();
            }
            return null;
        };
    }

    private async Task RefreshInBackgroundAsync()
    {
        try
        {
            await RefreshAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not refresh the product slugs; the previous list stays in use");
        }
    }

    private async Task<Snapshot> RefreshAsync(CancellationToken ct)
    {
        await _refresh.WaitAsync(ct);
        try
        {
            var current = _snapshot;
            if (current is not null && clock.GetUtcNow() - current.LoadedAt < MinAgeForMissRefresh) return current;
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var ids = await db.Products.AsNoTracking().Where(p => p.SiteId == SiteIds.Trusty).Select(p => new { p.Slug, p.Id }).ToListAsync(ct);
            var fresh = new Snapshot(ids.ToFrozenDictionary(p => p.Slug, p => p.Id, StringComparer.Ordinal), clock.GetUtcNow());
            _snapshot = fresh;
            return fresh;
        }
        finally
        {
            _refresh.Release();
        }
    }
}
