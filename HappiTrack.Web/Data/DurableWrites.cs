using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Data;

/// <summary>
/// Writes that must survive an OS crash or power loss, not only a process crash: orders, discount-token
/// redemptions and consent changes (SECURITY.md "Durability"). Everything else on SQLite commits with
/// synchronous=NORMAL (WAL: durable against a process crash, the last commits can be lost with the OS);
/// inside this scope the context's connection commits with synchronous=FULL, so a commit returns only
/// after the WAL is on disk. PostgreSQL commits are durable already (synchronous_commit=on).
/// Open the scope before the transaction, and let it end after the transaction has.
/// </summary>
public static class DurableWrites
{
    public static async Task<IAsyncDisposable> DurableWritesAsync(this AppDbContext db, CancellationToken ct = default)
    {
        if (!db.Database.IsSqlite()) return NotNeeded.Instance;
        // Held open so every command of the scope runs on the connection that has the pragma.
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA synchronous=FULL;", ct);
        }
        catch
        {
            await db.Database.CloseConnectionAsync();
            throw;
        }
        return new Scope(db);
    }

    private sealed class Scope(AppDbContext db) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                // The connection goes back to the pool; the next opening sets NORMAL again anyway (SqlitePragmaInterceptor).
                await db.Database.ExecuteSqlRawAsync("PRAGMA synchronous=NORMAL;");
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }
    }

    private sealed class NotNeeded : IAsyncDisposable
    {
        public static readonly NotNeeded Instance = new();
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
