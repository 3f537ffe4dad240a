using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Tracking;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Analytics;

/// <summary>
/// Maintains the daily roll-ups. A day is always rebuilt whole from the raw events (delete + insert in
/// one transaction), so a refresh is idempotent and a roll-up day equals the raw query over that day, for every
/// site and for all of them together.
/// </summary>
public sealed class RollupService(AppDbContext db, ShopCalendar calendar, TimeProvider clock, ILogger<RollupService> logger)
{
    public const string RecurringJobId = "analytics:rollup";

    /// <summary>Rebuilds every shop day in [from, to].</summary>
    public async Task RefreshAsync(DateOnly from, DateOnly to, CancellationToken ct = default)
    {
        for (var day = from; day <= to; day = day.AddDays(1))
            await RefreshDayAsync(day, ct);
        var state = await LoadStateAsync(ct);
        state.RefreshedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Incremental maintenance, run by the recurring job: rebuilds only the days that received events
    /// since the last run (tracked by the highest event id folded in). Returns how many days were rebuilt.
    /// </summary>
    public async Task<int> RefreshChangedDaysAsync(CancellationToken ct = default)
    {
        var state = await LoadStateAsync(ct);
        if (!state.RolledUpPerSite)
        {
            await RebuildPerSiteAsync(ct);
            state = await LoadStateAsync(ct);
            state.RolledUpPerSite = true;
            await db.SaveChangesAsync(ct);
        }
        var watermark = state.LastEventId;
        // Read the new watermark first: events committed while we work land above it and are picked up next time.
        var newWatermark = await db.Events.MaxAsync(e => (long?)e.Id, ct) ?? 0;
        if (newWatermark <= watermark)
        {
            state.RefreshedAt = clock.GetUtcNow().UtcDateTime;
            await db.SaveChangesAsync(ct);
            return 0;
        }

        var changed = db.Events.Where(e => e.Id > watermark && e.Id <= newWatermark);
        var first = await changed.MinAsync(e => e.OccurredAt, ct);
        var last = await changed.MaxAsync(e => e.OccurredAt, ct);
        var (from, to) = (calendar.DayOf(first), calendar.DayOf(last));
        logger.LogInformation("Analytics roll-up: events {From}..{To} changed days {FirstDay}..{LastDay}",
            watermark + 1, newWatermark, from, to);
        await RefreshAsync(from, to, ct);

        state = await LoadStateAsync(ct);
        state.LastEventId = newWatermark;
        await db.SaveChangesAsync(ct);
        return to.DayNumber - from.DayNumber + 1;
    }

    /// <summary>
    /// The one-off rebuild after the upgrade that gave roll-ups a site: the migration tagged every existing row as
    /// Trusty's, which is right for days before other sites existed and wrong for any day that already had another
    /// site's events. Every day after the oldest remaining raw event's is rebuilt from the raw events; that day itself
    /// and older ones keep their rows, because retention has already deleted (some of) their raw events and a rebuild
    /// would lose the figures the roll-ups still hold.
    /// </summary>
    private async Task RebuildPerSiteAsync(CancellationToken ct)
    {
        var oldest = await db.Events.MinAsync(e => (DateTime?)e.OccurredAt, ct);
        var newest = await db.Events.MaxAsync(e => (DateTime?)e.OccurredAt, ct);
        if (oldest is null || newest is null) return;
        var (from, to) = (calendar.DayOf(oldest.Value).AddDays(1), calendar.DayOf(newest.Value));
        if (from > to) return;
        logger.LogInformation("Analytics roll-up: rebuilding days {FirstDay}..{LastDay} per site", from, to);
        await RefreshAsync(from, to, ct);
    }

    public async Task<DateTime?> LastRefreshedAtAsync(CancellationToken ct = default) =>
        await db.Set<RollupState>().AsNoTracking().Where(s => s.Id == RollupState.SingletonId)
            .Select(s => s.RefreshedAt).FirstOrDefaultAsync(ct);

    private async Task RefreshDayAsync(DateOnly day, CancellationToken ct)
    {
        var start = calendar.StartUtc(day);
        var end = calendar.StartUtc(day.AddDays(1));
        var heatmaps = await BuildHeatmapsAsync(start, end, ct);

        // SQLite has one writer: aggregating a day's events inside the write transaction held the lock for
        // the whole scan, and every tracker commit queued behind it. So on SQLite the day is aggregated
        // first into temp tables (the connection's own temp database: no lock on the shop's file), and the
        // write transaction only swaps the rows. Events committed after the staging have ids above the
        // job's watermark, so their day is rebuilt on the next run, as before.
        var staged = db.Database.IsSqlite();
        if (staged) await db.Database.OpenConnectionAsync(ct);
        try
        {
            if (staged)
            {
                foreach (var (table, select) in Staging)
                {
                    await db.Database.ExecuteSqlRawAsync($"DROP TABLE IF EXISTS temp.\"{table}\"", ct);
                    await db.Database.ExecuteSqlRawAsync($"CREATE TEMP TABLE \"{table}\" AS {select}", [day, start, end], ct);
                }
            }

            await using var transaction = await db.Database.BeginWriteTransactionAsync(ct);
            await db.Set<VisitorDayFact>().Where(f => f.Day == day).ExecuteDeleteAsync(ct);
            await db.Set<ProductDayStat>().Where(s => s.Day == day).ExecuteDeleteAsync(ct);
            await db.Set<HeatmapDay>().Where(h => h.Day == day).ExecuteDeleteAsync(ct);
            await db.Set<CartAddDay>().Where(c => c.Day == day).ExecuteDeleteAsync(ct);
            if (staged)
            {
                await db.Database.ExecuteSqlRawAsync($"INSERT INTO {AnalyticsSql.VisitorDaysTable} SELECT * FROM temp.\"StageVisitorDays\"", ct);
                await db.Database.ExecuteSqlRawAsync($"INSERT INTO {AnalyticsSql.ProductDaysTable} SELECT * FROM temp.\"StageProductDays\"", ct);
                await db.Database.ExecuteSqlRawAsync($"INSERT INTO {AnalyticsSql.CartAddDaysTable} SELECT * FROM temp.\"StageCartAddDays\"", ct);
            }
            else
            {
                await db.Database.ExecuteSqlRawAsync(AnalyticsSql.InsertVisitorDays, [day, start, end], ct);
                await db.Database.ExecuteSqlRawAsync(AnalyticsSql.InsertProductDays, [day, start, end], ct);
                await db.Database.ExecuteSqlRawAsync(AnalyticsSql.InsertCartAddDays, [day, start, end], ct);
            }
            foreach (var ((site, path), (samples, counts)) in heatmaps)
                db.Set<HeatmapDay>().Add(new HeatmapDay { Day = day, SiteId = site, Path = path, Samples = samples, Cells = HeatmapGrid.Serialize(counts) });
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            db.ChangeTracker.Clear();
        }
        finally
        {
            if (staged)
            {
                foreach (var (table, _) in Staging)
                    await db.Database.ExecuteSqlRawAsync($"DROP TABLE IF EXISTS temp.\"{table}\"", CancellationToken.None);
                await db.Database.CloseConnectionAsync();
            }
        }
    }

    private static readonly (string Table, string Select)[] Staging =
    [
        ("StageVisitorDays", AnalyticsSql.SelectVisitorDays),
        ("StageProductDays", AnalyticsSql.SelectProductDays),
        ("StageCartAddDays", AnalyticsSql.SelectCartAddDays),
    ];

    internal async Task<Dictionary<(int SiteId, string Path), (int Samples, int[] Counts)>> BuildHeatmapsAsync(DateTime start, DateTime end, CancellationToken ct)
    {
        var query = db.Events.AsNoTracking()
            .Where(e => e.Type == EventTypes.Mouse && e.OccurredAt >= start && e.OccurredAt < end && e.Path != null);
        var result = new Dictionary<(int, string), (int Samples, int[] Counts)>();
        await foreach (var e in query.Select(e => new { e.SiteId, e.Path, e.Data }).AsAsyncEnumerable().WithCancellation(ct))
        {
            var key = (e.SiteId, e.Path!);
            if (!result.TryGetValue(key, out var entry)) entry = (0, new int[HeatmapGrid.CellCount]);
            HeatmapGrid.Accumulate(entry.Counts, e.Data);
            result[key] = (entry.Samples + 1, entry.Counts);
        }
        return result;
    }

    private async Task<RollupState> LoadStateAsync(CancellationToken ct)
    {
        var state = await db.Set<RollupState>().FirstOrDefaultAsync(s => s.Id == RollupState.SingletonId, ct);
        if (state is null)
        {
            state = new RollupState();
            db.Set<RollupState>().Add(state);
        }
        return state;
    }
}
