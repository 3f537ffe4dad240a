using HappiTrack.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace HappiTrack.Web.Features.Tracking.Ingestion;

/// <summary>
/// PostgreSQL's counterpart of <see cref="SqliteEventStore"/>: one array-parameter (unnest) upsert for
/// all visitors of a group, the events by binary COPY, and one array UPDATE for the linked contacts.
/// Unlike SQLite, several instances write at once, so rows are locked in a fixed (sorted) order and a
/// deadlock, should one happen anyway, is retried.
/// </summary>
internal sealed class PostgresEventStore : IEventStore
{
    private const int Attempts = 3;

    public async Task WriteAsync(AppDbContext db, IReadOnlyList<EventBatch> batches, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteOnceAsync(db, batches, ct);
                return;
            }
            catch (PostgresException e) when (attempt < Attempts && e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
            }
        }
    }

    public async Task<int?> TouchVisitorAsync(AppDbContext db, string visitorId, DateTime now, CancellationToken ct)
    {
        var contact = await db.Database.SqlQuery<int?>($"""
            INSERT INTO "Visitors" ("Id", "FirstSeenAt", "LastSeenAt") VALUES ({visitorId}, {now}, {now})
            ON CONFLICT ("Id") DO UPDATE SET "LastSeenAt" = GREATEST("Visitors"."LastSeenAt", excluded."LastSeenAt")
            RETURNING "ContactId" AS "Value"
            """).ToListAsync(ct);
        return contact[0];
    }

    public async Task LinkVisitorAsync(AppDbContext db, string visitorId, int contactId, DateTime now, CancellationToken ct)
    {
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "Visitors" ("Id", "FirstSeenAt", "LastSeenAt", "ContactId", "LinkedAt")
            VALUES ({visitorId}, {now}, {now}, {contactId}, {now})
            ON CONFLICT ("Id") DO UPDATE SET "ContactId" = excluded."ContactId", "LinkedAt" = excluded."LinkedAt",
                "LastSeenAt" = GREATEST("Visitors"."LastSeenAt", excluded."LastSeenAt")
            """, ct);
    }

    private static async Task WriteOnceAsync(AppDbContext db, IReadOnlyList<EventBatch> batches, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var dbTransaction = (NpgsqlTransaction)transaction.GetDbTransaction();

        var lastSeen = new SortedDictionary<string, DateTime>(StringComparer.Ordinal);
        foreach (var batch in batches)
        {
            if (!lastSeen.TryGetValue(batch.VisitorId, out var seen) || batch.ReceivedAt > seen)
                lastSeen[batch.VisitorId] = batch.ReceivedAt;
        }

        var contactByVisitor = await UpsertVisitorsAsync(connection, dbTransaction, lastSeen, ct);
        await CopyEventsAsync(connection, batches, contactByVisitor, ct);
        await TouchContactsAsync(connection, dbTransaction, batches, contactByVisitor, ct);

        await transaction.CommitAsync(ct);
    }

    private static async Task<Dictionary<string, int>> UpsertVisitorsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        SortedDictionary<string, DateTime> lastSeen, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO "Visitors" ("Id", "FirstSeenAt", "LastSeenAt")
            SELECT v.id, v.seen, v.seen FROM unnest(@ids, @seen) WITH ORDINALITY AS v(id, seen, n) ORDER BY v.n
            ON CONFLICT ("Id") DO UPDATE SET "LastSeenAt" = GREATEST("Visitors"."LastSeenAt", excluded."LastSeenAt")
            RETURNING "Id", "ContactId"
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]>("ids", lastSeen.Keys.ToArray()));
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>("seen", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = lastSeen.Values.ToArray() });

        var contacts = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (!reader.IsDBNull(1)) contacts[reader.GetString(0)] = reader.GetInt32(1);
        }
        return contacts;
    }

    private static async Task CopyEventsAsync(NpgsqlConnection connection, IReadOnlyList<EventBatch> batches,
        Dictionary<string, int> contactByVisitor, CancellationToken ct)
    {
        await using var importer = await connection.BeginBinaryImportAsync("""
            COPY "Events" ("Type", "VisitorId", "ContactId", "ProductId", "Source", "OccurredAt", "ClientTime", "Path", "Data") FROM STDIN (FORMAT BINARY)
            """, ct);
        foreach (var batch in batches)
        {
            int? contactId = contactByVisitor.TryGetValue(batch.VisitorId, out var id) ? id : null;
            foreach (var e in batch.Events)
            {
                await importer.StartRowAsync(ct);
                await importer.WriteAsync(e.Type, NpgsqlDbType.Varchar, ct);
                await importer.WriteAsync(batch.VisitorId, NpgsqlDbType.Varchar, ct);
                await WriteNullableAsync(importer, contactId, NpgsqlDbType.Integer, ct);
                await WriteNullableAsync(importer, e.ProductId, NpgsqlDbType.Integer, ct);
                await importer.WriteAsync((int)EventSource.Client, NpgsqlDbType.Integer, ct);
                await importer.WriteAsync(batch.ReceivedAt, NpgsqlDbType.TimestampTz, ct);
                await WriteNullableAsync(importer, e.ClientTime, NpgsqlDbType.TimestampTz, ct);
                await WriteNullableAsync(importer, e.Path, NpgsqlDbType.Varchar, ct);
                await WriteNullableAsync(importer, e.Data, NpgsqlDbType.Varchar, ct);
            }
        }
        await importer.CompleteAsync(ct);
    }

    private static Task WriteNullableAsync<T>(NpgsqlBinaryImporter importer, T? value, NpgsqlDbType type, CancellationToken ct) where T : struct =>
        value is { } v ? importer.WriteAsync(v, type, ct) : importer.WriteNullAsync(ct);

    private static Task WriteNullableAsync(NpgsqlBinaryImporter importer, string? value, NpgsqlDbType type, CancellationToken ct) =>
        value is not null ? importer.WriteAsync(value, type, ct) : importer.WriteNullAsync(ct);

    private static async Task TouchContactsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        IReadOnlyList<EventBatch> batches, Dictionary<string, int> contactByVisitor, CancellationToken ct)
    {
        if (contactByVisitor.Count == 0) return;
        var lastSeenByContact = new SortedDictionary<int, DateTime>();
        foreach (var batch in batches)
        {
            if (!contactByVisitor.TryGetValue(batch.VisitorId, out var contactId)) continue;
            if (!lastSeenByContact.TryGetValue(contactId, out var seen) || batch.ReceivedAt > seen)
                lastSeenByContact[contactId] = batch.ReceivedAt;
        }
        await using var command = new NpgsqlCommand("""
            UPDATE "Contacts" AS c SET "LastSeenAt" = t.seen
            FROM unnest(@ids, @seen) AS t(id, seen)
            WHERE c."Id" = t.id AND (c."LastSeenAt" IS NULL OR c."LastSeenAt" < t.seen)
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<int[]>("ids", lastSeenByContact.Keys.ToArray()));
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>("seen", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = lastSeenByContact.Values.ToArray() });
        await command.ExecuteNonQueryAsync(ct);
    }
}
