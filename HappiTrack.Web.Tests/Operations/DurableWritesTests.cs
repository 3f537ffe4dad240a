using System.Collections.Concurrent;
using System.Data.Common;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Checkout;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Operations;

/// <summary>
/// Issue 16 part 3 (durability): orders, token redemptions and consent changes commit with
/// synchronous=FULL, everything else with NORMAL. A probe on the app's real SQLite connections reads
/// <c>PRAGMA synchronous</c> on the connection (inside the transaction) just before each write runs.
/// </summary>
public sealed class DurableWritesTests
{
    private const int Normal = 1;
    private const int Full = 2;

    [Fact]
    public async Task An_order_and_an_opt_in_commit_with_synchronous_full_while_cart_writes_stay_normal()
    {
        if (HappiTrackFactory.SuiteProvider != DatabaseProvider.Sqlite) return; // a SQLite setting; PostgreSQL commits durably anyway
        var probe = new SynchronousProbe();
        await using var app = new ProbedApp(probe);
        var visitorId = VisitorCookie.NewId();
        await app.WithDbAsync(async db =>
        {
            db.Visitors.Add(new Visitor { Id = visitorId, FirstSeenAt = DateTime.UtcNow, LastSeenAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        });

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var productId = await db.Products.Where(p => p.Slug == "lenovo-loq-15").Select(p => p.Id).FirstAsync();
            probe.Clear();
            await scope.ServiceProvider.GetRequiredService<CartService>().AddAsync(visitorId, productId, 1);
            var cartWrites = probe.Writes.ToList();
            Assert.NotEmpty(cartWrites);
            Assert.All(cartWrites, w => Assert.Equal((w.Sql, Normal), (w.Sql, w.Synchronous)));

            probe.Clear();
            var placed = await scope.ServiceProvider.GetRequiredService<CheckoutService>()
                .PlaceOrderAsync(visitorId, new CheckoutRequest("Ada", "+4915112345678", true, null));
            Assert.True(placed.Succeeded, string.Join("; ", placed.Errors.Values));
            var orderWrites = probe.Writes.ToList();
            Assert.Contains(orderWrites, w => w.Sql.Contains("INSERT INTO \"Orders\"", StringComparison.Ordinal));
            Assert.Contains(orderWrites, w => w.Sql.Contains("INSERT INTO \"Contacts\"", StringComparison.Ordinal));
            Assert.All(orderWrites, w => Assert.Equal((w.Sql, Full), (w.Sql, w.Synchronous)));
        }

        await using (var scope = app.Services.CreateAsyncScope())
        {
            probe.Clear();
            await scope.ServiceProvider.GetRequiredService<ContactService>().InitAsync("+4915198765432", "Grace", optIn: true, "api", CancellationToken.None);
            var consentWrites = probe.Writes.ToList();
            Assert.Contains(consentWrites, w => w.Sql.Contains("INSERT INTO \"Contacts\"", StringComparison.Ordinal));
            Assert.All(consentWrites, w => Assert.Equal((w.Sql, Full), (w.Sql, w.Synchronous)));
        }

        // The pooled connection goes back to NORMAL: the next ordinary write is not slowed down.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            probe.Clear();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var productId = await db.Products.Where(p => p.Slug == "lenovo-loq-15").Select(p => p.Id).FirstAsync();
            var other = VisitorCookie.NewId();
            db.Visitors.Add(new Visitor { Id = other, FirstSeenAt = DateTime.UtcNow, LastSeenAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
            await scope.ServiceProvider.GetRequiredService<CartService>().AddAsync(other, productId, 1);
            Assert.All(probe.Writes, w => Assert.Equal((w.Sql, Normal), (w.Sql, w.Synchronous)));
        }
    }

    private sealed class ProbedApp(SynchronousProbe probe) : HappiTrackFactory(NewDatabasePath(), DatabaseProvider.Sqlite)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.ConfigureDbContext<SqliteAppDbContext>(o => o.AddInterceptors(probe)));
        }
    }

    /// <summary>Before each command that writes, reads the connection's synchronous level in the command's transaction.</summary>
    private sealed class SynchronousProbe : DbCommandInterceptor
    {
        private readonly ConcurrentQueue<(string Sql, long Synchronous)> _writes = new();

        public IReadOnlyCollection<(string Sql, long Synchronous)> Writes => _writes;
        public void Clear() => _writes.Clear();

        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            Record(command);
            return result;
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Record(command);
            return ValueTask.FromResult(result);
        }

        public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        {
            Record(command);
            return result;
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Record(command);
            return ValueTask.FromResult(result);
        }

        private void Record(DbCommand command)
        {
            var sql = command.CommandText;
            if (!(sql.Contains("INSERT ", StringComparison.OrdinalIgnoreCase) || sql.Contains("UPDATE ", StringComparison.OrdinalIgnoreCase)
                  || sql.Contains("DELETE ", StringComparison.OrdinalIgnoreCase)) || sql.StartsWith("PRAGMA", StringComparison.OrdinalIgnoreCase))
                return;
            using var read = command.Connection!.CreateCommand();
            read.Transaction = command.Transaction;
            read.CommandText = "PRAGMA synchronous";
            _writes.Enqueue((sql, (long)read.ExecuteScalar()!));
        }
    }
}
