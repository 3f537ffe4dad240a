using System.Data.Common;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace HappiTrack.Web.Features.Tracking.Ingestion;

/// <summary>
/// Bulk writes through the DbContext's own connection and transaction, with one single-row statement
/// per table prepared once per commit and re-executed for every row. SQLite has no network round
/// trip to save, so multi-row INSERTs only added cost: a new statement text to parse for every chunk
/// size, and Microsoft.Data.Sqlite binding each of their hundreds of named parameters with a linear
/// name lookup (quadratic per statement). An event whose (visitor, client id) is already stored, by an
/// earlier request or earlier in the same group, is skipped by the unique index (ON CONFLICT DO NOTHING).
/// </summary>
internal sealed class SqliteEventStore : IEventStore
{
    public async Task WriteAsync(AppDbContext db, IReadOnlyList<EventBatch> batches, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginWriteTransactionAsync(ct);
        var connection = db.Database.GetDbConnection();
        var dbTransaction = transaction.GetDbTransaction();

        var lastSeen = new Dictionary<string, (DateTime Seen, int SiteId)>(StringComparer.Ordinal);
        foreach (var batch in batches)
        {
            if (!lastSeen.TryGetValue(batch.VisitorId, out var seen) || batch.ReceivedAt > seen.Seen)
                lastSeen[batch.VisitorId] = (batch.ReceivedAt, batch.SiteId);
        }

        var contactByVisitor = UpsertVisitors(connection, dbTransaction, lastSeen);
        InsertEvents(connection, dbTransaction, batches, contactByVisitor);
        await TouchContactsAsync(connection, dbTransaction, batches, contactByVisitor, ct);

        await transaction.CommitAsync(ct);
    }

    public async Task<int?> TouchVisitorAsync(AppDbContext db, string visitorId, DateTime now, CancellationToken ct)
    {
        var contact = await db.Database.SqlQuery<int?>($"""
            INSERT INTO "Visitors" ("Id", "FirstSeenAt", "LastSeenAt") VALUES ({visitorId}, {now}, {now})
            ON CONFLICT ("Id") DO UPDATE SET "LastSeenAt" = MAX("LastSeenAt", excluded."LastSeenAt")
            RETURNING "ContactId" AS "Value"
            """).ToListAsync(ct);
        return contact[0];
    }

    public async Task LinkVisitorAsync(AppDbContext db, string visitorId, int contactId, DateTime now, CancellationToken ct, int siteId = SiteIds.Trusty)
    {
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "Visitors" ("Id", "SiteId", "FirstSeenAt", "LastSeenAt", "ContactId", "LinkedAt")
            VALUES ({visitorId}, {siteId}, {now}, {now}, {contactId}, {now})
            ON CONFLICT ("Id") DO UPDATE SET "ContactId" = excluded."ContactId", "LinkedAt" = excluded."LinkedAt",
                "LastSeenAt" = MAX("LastSeenAt", excluded."LastSeenAt")
            """, ct);
    }

    // SQLite calls never block on a network, so the synchronous ADO.NET methods are used: the async
    // ones would only add a Task per row.
    private static Dictionary<string, int> UpsertVisitors(DbConnection connection, DbTransaction transaction, Dictionary<string, (DateTime Seen, int SiteId)> lastSeen)
    {
        var contacts = new Dictionary<string, int>(StringComparer.Ordinal);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO "Visitors" ("Id", "SiteId", "FirstSeenAt", "LastSeenAt") VALUES ($id, $site, $t, $t)
            ON CONFLICT ("Id") DO UPDATE SET "LastSeenAt" = MAX("LastSeenAt", excluded."LastSeenAt")
            RETURNING "ContactId"
            """;
        var id = AddParameter(command, "$id", "");
        var site = AddParameter(command, "$site", SiteIds.Trusty);
        var time = AddParameter(command, "$t", DateTime.UnixEpoch);
        foreach (var (visitorId, seen) in lastSeen)
        {
            id.Value = visitorId;
            site.Value = seen.SiteId;
            time.Value = seen.Seen;
            using var reader = command.ExecuteReader();
            if (reader.Read() && !reader.IsDBNull(0)) contacts[visitorId] = reader.GetInt32(0);
        }
        return contacts;
    }

    private static void InsertEvents(DbConnection connection, DbTransaction transaction,
        IReadOnlyList<EventBatch> batches, Dictionary<string, int> contactByVisitor)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            INSERT INTO "Events" ("Type", "VisitorId", "ContactId", "ProductId", "Source", "OccurredAt", "ClientTime", "Path", "Data", "ClientEventId", "SiteId")
            VALUES ($type, $visitor, $contact, $product, {(int)EventSource.Client}, $at, $clientTime, $path, $data, $clientId, $site)
            ON CONFLICT DO NOTHING
            """;
        var type = AddParameter(command, "$type", "");
        var visitor = AddParameter(command, "$visitor", "");
        var contact = AddParameter(command, "$contact", DBNull.Value);
        var product = AddParameter(command, "$product", DBNull.Value);
        var at = AddParameter(command, "$at", DateTime.UnixEpoch);
        var clientTime = AddParameter(command, "$clientTime", DBNull.Value);
        var path = AddParameter(command, "$path", DBNull.Value);
        var data = AddParameter(command, "$data", DBNull.Value);
        var clientId = AddParameter(command, "$clientId", DBNull.Value);
        var site = AddParameter(command, "$site", SiteIds.Trusty);
        foreach (var batch in batches)
        {
            visitor.Value = batch.VisitorId;
            site.Value = batch.SiteId;
            contact.Value = contactByVisitor.TryGetValue(batch.VisitorId, out var contactId) ? contactId : DBNull.Value;
            at.Value = batch.ReceivedAt;
            foreach (var e in batch.Events)
            {
                type.Value = e.Type;
                product.Value = e.ProductId is { } productId ? productId : DBNull.Value;
                clientTime.Value = e.ClientTime is { } time ? time : DBNull.Value;
                path.Value = (object?)e.Path ?? DBNull.Value;
                data.Value = (object?)e.Data ?? DBNull.Value;
                clientId.Value = (object?)e.ClientId ?? DBNull.Value;
                command.ExecuteNonQuery();
            }
        }
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
