using System.Data.Common;
using System.Text;
using HappiTrack.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace HappiTrack.Web.Features.Tracking.Ingestion;

/// <summary>
/// Bulk writes through the DbContext's own connection and transaction: multi-row INSERTs reused for
/// every full chunk, and one visitor upsert per batch whose RETURNING clause yields the contacts.
/// </summary>
internal sealed class SqliteEventStore : IEventStore
{
    // 8 parameters per event row keeps a chunk far below SQLite's 32,766 variable limit.
    private const int EventRowsPerStatement = 100;
    private const int VisitorRowsPerStatement = 500;

    public async Task WriteAsync(AppDbContext db, IReadOnlyList<EventBatch> batches, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var connection = db.Database.GetDbConnection();
        var dbTransaction = transaction.GetDbTransaction();

        var lastSeen = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        foreach (var batch in batches)
        {
            if (!lastSeen.TryGetValue(batch.VisitorId, out var seen) || batch.ReceivedAt > seen)
                lastSeen[batch.VisitorId] = batch.ReceivedAt;
        }

        var contactByVisitor = await UpsertVisitorsAsync(connection, dbTransaction, lastSeen, ct);
        await InsertEventsAsync(connection, dbTransaction, batches, contactByVisitor, ct);
        await TouchContactsAsync(connection, dbTransaction, batches, contactByVisitor, ct);

        await transaction.CommitAsync(ct);
    }

    public async Task LinkVisitorAsync(AppDbContext db, string visitorId, int contactId, DateTime now, CancellationToken ct)
    {
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "Visitors" ("Id", "FirstSeenAt", "LastSeenAt", "ContactId", "LinkedAt")
            VALUES ({visitorId}, {now}, {now}, {contactId}, {now})
            ON CONFLICT ("Id") DO UPDATE SET "ContactId" = excluded."ContactId", "LinkedAt" = excluded."LinkedAt",
                "LastSeenAt" = MAX("LastSeenAt", excluded."LastSeenAt")
            """, ct);
    }

    private static async Task<Dictionary<string, int>> UpsertVisitorsAsync(DbConnection connection, DbTransaction transaction,
        Dictionary<string, DateTime> lastSeen, CancellationToken ct)
    {
        var contacts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var chunk in lastSeen.Chunk(VisitorRowsPerStatement))
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var sql = new StringBuilder("""INSERT INTO "Visitors" ("Id", "FirstSeenAt", "LastSeenAt") VALUES """);
            for (var i = 0; i < chunk.Length; i++)
            {
                if (i > 0) sql.Append(',');
                sql.Append("($v").Append(i).Append(",$t").Append(i).Append(",$t").Append(i).Append(')');
                AddParameter(command, "$v" + i, chunk[i].Key);
                AddParameter(command, "$t" + i, chunk[i].Value);
            }
            sql.Append("""
                 ON CONFLICT ("Id") DO UPDATE SET "LastSeenAt" = MAX("LastSeenAt", excluded."LastSeenAt")
                 RETURNING "Id", "ContactId"
                """);
            command.CommandText = sql.ToString();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                if (!reader.IsDBNull(1)) contacts[reader.GetString(0)] = reader.GetInt32(1);
            }
        }
        return contacts;
    }

    private static async Task InsertEventsAsync(DbConnection connection, DbTransaction transaction,
        IReadOnlyList<EventBatch> batches, Dictionary<string, int> contactByVisitor, CancellationToken ct)
    {
        var rows = batches.SelectMany(b => b.Events.Select(e => (Batch: b, Event: e)));
        DbCommand? fullChunkCommand = null;
        try
        {
            foreach (var chunk in rows.Chunk(EventRowsPerStatement))
            {
                DbCommand command;
                if (chunk.Length == EventRowsPerStatement)
                    command = fullChunkCommand ??= CreateEventInsert(connection, transaction, EventRowsPerStatement);
                else
                    command = CreateEventInsert(connection, transaction, chunk.Length);

                for (var i = 0; i < chunk.Length; i++)
                {
                    var (batch, e) = chunk[i];
                    var p = command.Parameters;
                    var at = i * 8;
                    p[at].Value = e.Type;
                    p[at + 1].Value = batch.VisitorId;
                    p[at + 2].Value = contactByVisitor.TryGetValue(batch.VisitorId, out var contactId) ? contactId : DBNull.Value;
                    p[at + 3].Value = e.ProductId is { } productId ? productId : DBNull.Value;
                    p[at + 4].Value = batch.ReceivedAt;
                    p[at + 5].Value = e.ClientTime is { } clientTime ? clientTime : DBNull.Value;
                    p[at + 6].Value = (object?)e.Path ?? DBNull.Value;
                    p[at + 7].Value = (object?)e.Data ?? DBNull.Value;
                }
                await command.ExecuteNonQueryAsync(ct);
                if (command != fullChunkCommand) await command.DisposeAsync();
            }
        }
        finally
        {
            if (fullChunkCommand is not null) await fullChunkCommand.DisposeAsync();
        }
    }

    private static DbCommand CreateEventInsert(DbConnection connection, DbTransaction transaction, int rows)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        var sql = new StringBuilder("""
            INSERT INTO "Events" ("Type", "VisitorId", "ContactId", "ProductId", "Source", "OccurredAt", "ClientTime", "Path", "Data") VALUES 
            """, 128 + rows * 64);
        for (var i = 0; i < rows; i++)
        {
            if (i > 0) sql.Append(',');
            sql.Append('(');
            for (var c = 0; c < 8; c++)
            {
                var name = "$p" + (i * 8 + c);
                if (c == 4) sql.Append((int)EventSource.Client).Append(',');
                sql.Append(name).Append(c < 7 ? "," : ")");
                AddParameter(command, name, DBNull.Value);
            }
        }
        command.CommandText = sql.ToString();
        return command;
    }

    private static async Task TouchContactsAsync(DbConnection connection, DbTransaction transaction,
        IReadOnlyList<EventBatch> batches, Dictionary<string, int> contactByVisitor, CancellationToken ct)
    {
        if (contactByVisitor.Count == 0) return;
        var lastSeenByContact = new Dictionary<int, DateTime>();
        foreach (var batch in batches)
        {
            if (!contactByVisitor.TryGetValue(batch.VisitorId, out var contactId)) continue;
            if (!lastSeenByContact.TryGetValue(contactId, out var seen) || batch.ReceivedAt > seen)
                lastSeenByContact[contactId] = batch.ReceivedAt;
        }
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            UPDATE "Contacts" SET "LastSeenAt" = $t WHERE "Id" = $id AND ("LastSeenAt" IS NULL OR "LastSeenAt" < $t)
            """;
        var id = AddParameter(command, "$id", 0);
        var time = AddParameter(command, "$t", DateTime.UnixEpoch);
        foreach (var (contactId, seen) in lastSeenByContact)
        {
            id.Value = contactId;
            time.Value = seen;
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    private static DbParameter AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return parameter;
    }
}
