using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Sites;

/// <summary>Makes sure Trusty exists as site 1; run on every start after the migrations, idempotent.</summary>
public static class SiteSeed
{
    public const string TrustyName = "Trusty";

    public static async Task SeedAsync(AppDbContext db, string timeZone, CancellationToken ct = default)
    {
        if (await db.Set<Site>().AnyAsync(s => s.Id == SiteIds.Trusty, ct)) return;
        // Its key is random like any other; Trusty's own pages do not need it, and a known key would be an open door for t.js.
        db.Set<Site>().Add(new Site
        {
            Id = SiteIds.Trusty,
            Key = Site.NewKey(),
            Name = TrustyName,
            TimeZone = timeZone,
            CreatedAt = DateTime.UtcNow,
        });
        await db.SaveChangesAsync(ct);
        if (db.Database.IsNpgsql())
        {
            // The explicit id did not advance the identity sequence; the next registered site must get 2.
            await db.Database.ExecuteSqlRawAsync(
                "SELECT setval(pg_get_serial_sequence('\"Sites\"', 'Id'), (SELECT MAX(\"Id\") FROM \"Sites\"))", ct);
        }
    }
}
