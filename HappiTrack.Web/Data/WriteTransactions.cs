using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace HappiTrack.Web.Data;

/// <summary>
/// Write transactions that take turns for SQLite's single write lock inside the process, first come,
/// first served. SQLite makes a writer that finds the lock taken poll with growing sleeps (1, 2, 5 … up
/// to 100 ms apart), so the tracker's group commit, arriving while the projector's batches took the lock
/// one after the other, missed release after release: p99 ~0.35–0.42 s with a 3 ms median (issue 16).
/// Behind an async FIFO gate each writer gets the lock as soon as the one before it commits. Writes
/// outside these transactions (single SaveChanges calls) keep SQLite's busy timeout as before.
/// PostgreSQL locks rows, not the database: there no gate is taken.
/// </summary>
public static class WriteTransactions
{
    /// <summary>Beyond this a writer stops queueing and falls back to SQLite's own busy wait, so a stuck holder cannot stall every writer for good.</summary>
    public static readonly TimeSpan GateTimeout = TimeSpan.FromSeconds(5);

    private static readonly ConcurrentDictionary<string, WriteGate> Gates = new(StringComparer.Ordinal);
    // The gate this async flow holds: a nested write transaction on another context must not wait for itself.
    // A mutable holder, so that releasing it inside an async method is seen by the flow that set it.
    private static readonly AsyncLocal<Holder?> HeldByThisFlow = new();

    private sealed class Holder(WriteGate gate)
    {
        public volatile WriteGate? Gate = gate;
    }

    /// <summary>BEGIN (IMMEDIATE on SQLite) once this process's earlier writers to the same database have finished.</summary>
    // Not async: the flow marker must be set in the caller's execution context, which an async method would restore on return.
    // Tasks started inside the transaction inherit the marker and skip the gate while it is held: they wait in SQLite instead.
    public static Task<IDbContextTransaction> BeginWriteTransactionAsync(this DatabaseFacade database, CancellationToken ct = default)
    {
        if (!database.IsSqlite()) return database.BeginTransactionAsync(ct);
        var gate = GateFor(database.GetDbConnection());
        if (ReferenceEquals(HeldByThisFlow.Value?.Gate, gate)) return database.BeginTransactionAsync(ct);
        var holder = new Holder(gate);
        HeldByThisFlow.Value = holder;
        return EnterAsync(database, holder, ct);
    }

    /// <summary>The gate the tracker's writer and the jobs share for one database file.</summary>
    public static WriteGate GateFor(DbConnection connection)
    {
        var file = new SqliteConnectionStringBuilder(connection.ConnectionString).DataSource;
        var key = string.IsNullOrEmpty(file) || file.StartsWith(':') ? connection.ConnectionString : Path.GetFullPath(file);
        return Gates.GetOrAdd(key, _ => new WriteGate());
    }

    private static async Task<IDbContextTransaction> EnterAsync(DatabaseFacade database, Holder holder, CancellationToken ct)
    {
        var gate = holder.Gate!;
        var entered = false;
        try
        {
            entered = await gate.EnterAsync(ct);
            var inner = await database.BeginTransactionAsync(ct);
            return new GatedTransaction(inner, holder, entered);
        }
        catch
        {
            holder.Gate = null;
            if (entered) gate.Exit();
            throw;
        }
    }

    /// <summary>The EF transaction, plus the gate released when it ends (commit, rollback or dispose without either).</summary>
    private sealed class GatedTransaction(IDbContextTransaction inner, Holder holder, bool entered)
        : IDbContextTransaction, IInfrastructure<DbTransaction>
    {
        private int _released;

        public Guid TransactionId => inner.TransactionId;
        public DbTransaction Instance => inner.GetDbTransaction();
        public bool SupportsSavepoints => inner.SupportsSavepoints;

        public void Commit() { inner.Commit(); Release(); }
        public async Task CommitAsync(CancellationToken ct = default) { await inner.CommitAsync(ct); Release(); }
        public void Rollback() { inner.Rollback(); Release(); }
        public async Task RollbackAsync(CancellationToken ct = default) { await inner.RollbackAsync(ct); Release(); }
        public void CreateSavepoint(string name) => inner.CreateSavepoint(name);
        public Task CreateSavepointAsync(string name, CancellationToken ct = default) => inner.CreateSavepointAsync(name, ct);
        public void RollbackToSavepoint(string name) => inner.RollbackToSavepoint(name);
        public Task RollbackToSavepointAsync(string name, CancellationToken ct = default) => inner.RollbackToSavepointAsync(name, ct);
        public void ReleaseSavepoint(string name) => inner.ReleaseSavepoint(name);
        public Task ReleaseSavepointAsync(string name, CancellationToken ct = default) => inner.ReleaseSavepointAsync(name, ct);

        public void Dispose()
        {
            try { inner.Dispose(); }
            finally { Release(); }
        }

        public async ValueTask DisposeAsync()
        {
            try { await inner.DisposeAsync(); }
            finally { Release(); }
        }

        private void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            var gate = holder.Gate;
            holder.Gate = null;
            if (entered) gate?.Exit();
        }
    }
}

/// <summary>One database file's turn-taking for writers of this process.</summary>
public sealed class WriteGate
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private long _queuedWaits;

    /// <summary>Writers that found the gate taken and queued behind another: how tests see that a writer goes through it.</summary>
    public long QueuedWaits => Interlocked.Read(ref _queuedWaits);

    public bool IsHeld => _turn.CurrentCount == 0;

    /// <returns>False when <see cref="WriteTransactions.GateTimeout"/> passed first: the caller goes on without its turn.</returns>
    internal async Task<bool> EnterAsync(CancellationToken ct)
    {
        if (_turn.Wait(0)) return true;
        Interlocked.Increment(ref _queuedWaits);
        return await _turn.WaitAsync(WriteTransactions.GateTimeout, ct);
    }

    internal void Exit() => _turn.Release();
}
