using System.Collections.Concurrent;
using System.Data.Common;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Analytics;

/// <summary>
/// Issue 16 part 3: SQLite has one writer, so the roll-up must not hold the write lock while it scans a
/// day's events. Each time the roll-up runs a statement that reads <c>Events</c>, another connection (the
/// tracker's, in production) tries to commit a visitor without waiting (<c>busy_timeout=0</c>); it must succeed.
/// </summary>
public sealed class RollupWriteLockTests
{
    [Fact]
    public async Task A_tracker_write_commits_without_waiting_while_the_rollup_aggregates_a_day()
    {
        if (HappiTrackFactory.SuiteProvider != DatabaseProvider.Sqlite) return; // PostgreSQL has no single write lock
        var path = HappiTrackFactory.NewDatabasePath();
        var probe = new ConcurrentWriterProbe($"Data Source={path};Pooling=False");
        await using var app = new ProbedApp(path, probe);
        var now = app.Clock.GetUtcNow().UtcDateTime;
        await app.WithDbAsync(async db =>
        {
            var productId = await db.Products.Select(p => p.Id).FirstAsync();
            for (var v = 0; v < 20; v++)
            {
                var visitor = new Visitor { Id = $"rollup-lock-visitor-{v:D2}", FirstSeenAt = now, LastSeenAt = now };
                db.Visitors.Add(visitor);
                db.Events.Add(new TrackEvent { VisitorId = visitor.Id, Type = EventTypes.PageView, OccurredAt = now, Path = "/" });
                db.Events.Add(new TrackEvent { VisitorId = visitor.Id, Type = EventTypes.AddToCart, OccurredAt = now, Path = "/", ProductId = productId });
            }
            await db.SaveChangesAsync();
        });

        await using (var scope = app.Services.CreateAsyncScope())
        {
            probe.Armed = true;
            await scope.ServiceProvider.GetRequiredService<RollupService>().RefreshAsync(HappiTrackFactory.Today, HappiTrackFactory.Today);
            probe.Armed = false;
        }

        Assert.True(probe.Attempts >= 3, $"the roll-up read Events in {probe.Attempts} statements; expected the three day aggregates");
        Assert.Empty(probe.Refused);
        await app.WithDbAsync(async db =>
        {
            Assert.Equal(20, await db.Set<VisitorDayFact>().CountAsync(f => f.Day == HappiTrackFactory.Today));
            Assert.Equal(20, await db.Set<CartAddDay>().CountAsync(f => f.Day == HappiTrackFactory.Today));
            Assert.Equal(probe.Attempts, await db.Visitors.CountAsync(v => v.Id.StartsWith("concurrent-")));
        });
    }

    private sealed class ProbedApp(string path, ConcurrentWriterProbe probe) : HappiTrackFactory(path, DatabaseProvider.Sqlite)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.ConfigureDbContext<SqliteAppDbContext>(o => o.AddInterceptors(probe)));
        }
    }

    private sealed class ConcurrentWriterProbe(string connectionString) : DbCommandInterceptor
    {
        private int _attempts;
        public volatile bool Armed;
        public int Attempts => _attempts;
        public ConcurrentQueue<string> Refused { get; } = new();

        public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        {
            TryConcurrentWrite(command);
            return result;
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            TryConcurrentWrite(command);
            return ValueTask.FromResult(result);
        }

        private void TryConcurrentWrite(DbCommand command)
        {
            if (!Armed || !command.CommandText.Contains("FROM \"Events\"", StringComparison.Ordinal)) return;
            var n = Interlocked.Increment(ref _attempts);
            using var other = new SqliteConnection(connectionString);
            other.Open();
            using var write = other.CreateCommand();
            write.CommandText = "PRAGMA busy_timeout=0; INSERT INTO \"Visitors\" (\"Id\", \"FirstSeenAt\", \"LastSeenAt\") VALUES ($id, $t, $t)";
            write.Parameters.AddWithValue("$id", $"concurrent-{n}");
            write.Parameters.AddWithValue("$t", DateTime.UtcNow);
            try
            {
                write.ExecuteNonQuery();
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode == 5) // SQLITE_BUSY: the roll-up holds the write lock
            {
                Refused.Enqueue(command.CommandText);
            }
        }
    }
}
