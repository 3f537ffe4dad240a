using System.Net;
using HappiTrack.Web.Data;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Tracking;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Operations;

/// <summary>
/// Issue 16 part 3: on SQLite the tracker's group commit and the jobs' write transactions take turns
/// at one in-process gate instead of polling SQLite's lock with growing sleeps, which is what left the
/// tracker's p99 at ~0.4 s while the projector ran batch after batch.
/// </summary>
public sealed class WriteGateTests
{
    [Fact]
    public async Task A_tracker_batch_queues_behind_a_jobs_write_transaction_and_commits_when_it_ends()
    {
        if (HappiTrackFactory.SuiteProvider != DatabaseProvider.Sqlite) return; // PostgreSQL locks rows: no gate
        await using var app = new HappiTrackFactory();
        var client = app.CreateBrowserClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
        await using var job = app.CreateDbContext();
        var gate = WriteTransactions.GateFor(job.Database.GetDbConnection());
        var queuedBefore = gate.QueuedWaits;
        var eventsBefore = await app.WithDbAsync(db => db.Events.CountAsync());

        var transaction = await job.Database.BeginWriteTransactionAsync();
        Assert.True(gate.IsHeld);
        var tracked = client.TrackAsync(TrackingHttp.Payload(TrackingHttp.PageView));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (gate.QueuedWaits == queuedBefore && !tracked.IsCompleted && DateTime.UtcNow < deadline) await Task.Delay(5);

        Assert.True(gate.QueuedWaits > queuedBefore, "the tracker's writer did not queue at the gate: it went straight to SQLite's lock");
        Assert.False(tracked.IsCompleted, "the tracker acknowledged a batch while another writer held the database");
        await transaction.CommitAsync();
        await transaction.DisposeAsync();

        Assert.Equal(HttpStatusCode.Accepted, (await tracked).StatusCode);
        Assert.Equal(eventsBefore + 1, await app.WithDbAsync(db => db.Events.CountAsync()));
        Assert.False(gate.IsHeld);
    }

    [Fact]
    public async Task A_write_transaction_left_without_commit_frees_the_gate_and_the_next_one_in_the_same_flow_takes_it_again()
    {
        if (HappiTrackFactory.SuiteProvider != DatabaseProvider.Sqlite) return;
        await using var app = new HappiTrackFactory();
        await using var db = app.CreateDbContext();
        var gate = WriteTransactions.GateFor(db.Database.GetDbConnection());

        await using (await db.Database.BeginWriteTransactionAsync())
        {
            Assert.True(gate.IsHeld);
            // An exception here would leave the block the same way: dispose, no commit.
        }
        Assert.False(gate.IsHeld);

        // The flow's "holds the gate" marker went with the first transaction, so this one queues like any writer.
        await using (var second = await db.Database.BeginWriteTransactionAsync())
        {
            Assert.True(gate.IsHeld);
            await second.RollbackAsync();
            Assert.False(gate.IsHeld);
        }
        Assert.False(gate.IsHeld);
    }
}
