using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace HappiTrack.Web.Features.Tracking.Ingestion;

/// <summary>
/// PostgreSQL's counterpart of <see cref="SqliteEventStore"/>: one array-parameter (unnest) upsert for
/// all visitors of a group, one unnest INSERT for the events that skips re-sent ones, and one array
/// UPDATE for the linked contacts.
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

    public async Task LinkVisitorAsync(AppDbContext db, string visitorId, int contactId, DateTime now, CancellationToken ct, int siteId = SiteIds.Trusty)
    {
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "Visitors" ("Id", "SiteId", "FirstSeenAt", "LastSeenAt", "ContactId", "LinkedAt")
            VALUES ({visitorId}, {siteId}, {now}, {now}, {contactId}, {now})
            ON CONFLICT ("Id") DO UPDATE SET "ContactId" = excluded."ContactId", "LinkedAt" = excluded."LinkedAt",
                "LastSeenAt" = GREATEST("Visitors"."LastSeenAt", excluded."LastSeenAt")
            """, ct);
    }

    private static async Task WriteOnceAsync(AppDbContext db, IReadOnlyList<EventBatch> batches, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var dbTransaction = (NpgsqlTransaction)transaction.GetDbTransaction();

        var lastSeen = new SortedDictionary<string, (DateTime Seen, int SiteId)>(StringComparer.Ordinal);
        foreach (var batch in batches)
        {
            if (!lastSeen.TryGetValue(batch.VisitorId, out var seen) || batch.ReceivedAt > seen.Seen)
                lastSeen[batch.VisitorId] = (batch.ReceivedAt, batch.SiteId);
        }

        var contactByVisitor = await UpsertVisitorsAsync(connection, dbTransaction, lastSeen, ct);
        await InsertEventsAsync(connection, dbTransaction, batches, contactByVisitor, ct);
        await TouchContactsAsync(connection, dbTransaction, batches, contactByVisitor, ct);

        await transaction.CommitAsync(ct);
    }

    private static async Task<Dictionary<string, int>> UpsertVisitorsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        SortedDictionary<string, (DateTime Seen, int SiteId)> lastSeen, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO "Visitors" ("Id", "SiteId", "FirstSeenAt", "LastSeenAt")
            SELECT v.id, v.site, v.seen, v.seen FROM unnest(@ids, @sites, @seen) WITH ORDINALITY AS v(id, site, seen, n) ORDER BY v.n
            ON CONFLICT ("Id") DO UPDATE SET "LastSeenAt" = GREATEST("Visitors"."LastSeenAt", excluded."LastSeenAt")
            RETURNING "Id", "ContactId"
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]>("ids", lastSeen.Keys.ToArray()));
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>("seen", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = lastSeen.Values.Select(v => v.Seen).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<int[]>("sites", lastSeen.Values.Select(v => v.SiteId).ToArray()));

        var contacts = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (!reader.IsDBNull(1)) contacts[reader.GetString(0)] = reader.GetInt32(1);
        }
        return contacts;
    }

    /// <summary>
    /// One array-parameter INSERT rather than COPY: COPY cannot skip rows, and a re-sent event (same
    /// visitor and client id, possibly in this very group or on another instance at the same moment)
    /// must be skipped, not fail the whole group. ON CONFLICT DO NOTHING also waits for a concurrent
    /// transaction inserting the same key and then skips, so instances never store it twice.
    /// </summary>
    private static async Task InsertEventsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<EventBatch> batches,
        Dictionary<string, int> contactByVisitor, CancellationToken ct)
    {
        var count = 0;
        foreach (var batch in batches) count += batch.Events.Count;
        var types = new string[count];
        var visitors = new string[count];
        var contacts = new int?[count];
        var products = new int?[count];
        var times = new DateTime[count];
        var clientTimes = new DateTime?[count];
        var paths = new string?[count];
        var data = new string?[count];
        var clientIds = new string?[count];
        var sites = new int[count];
        var i = 0;
        foreach (var batch in batches)
        {
            int? contactId = contactByVisitor.TryGetValue(batch.VisitorId, out var id) ? id : null;
            foreach (var e in batch.Events)
            {
                types[i] = e.Type;
                visitors[i] = batch.VisitorId;
                contacts[i] = contactId;
                products[i] = e.ProductId;
                times[i] = batch.ReceivedAt;
                clientTimes[i] = e.ClientTime;
                paths[i] = e.Path;
                data[i] = e.Data;
                clientIds[i] = e.ClientId;
                sites[i] = batch.SiteId;
                i++;
            }
        }

        await using var command = new NpgsqlCommand($"""
            INSERT INTO "Events" ("Type", "VisitorId", "ContactId", "ProductId", "Source", "OccurredAt", "ClientTime", "Path", "Data", "ClientEventId", "SiteId")
            SELECT e.type, e.visitor, e.contact, e.product, {(int)EventSource.Client}, e.at, e.client_time, e.path, e.data, e.client_id, e.site
            FROM unnest(@types, @visitors, @contacts, @products, @times, @client_times, @paths, @data, @client_ids, @sites)
                WITH ORDINALITY AS e(type, visitor, contact, product, at, client_time, path, data, client_id, site, n)
            ORDER BY e.n
            ON CONFLICT DO NOTHING
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter("types", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { Value = types });
        command.Parameters.Add(new NpgsqlParameter("visitors", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { Value = visitors });
        command.Parameters.Add(new NpgsqlParameter("contacts", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = contacts });
        command.Parameters.Add(new NpgsqlParameter("products", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = products });
        command.Parameters.Add(new NpgsqlParameter("times", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = times });
        command.Parameters.Add(new NpgsqlParameter("client_times", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = clientTimes });
        command.Parameters.Add(new NpgsqlParameter("paths", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { Value = paths });
        command.Parameters.Add(new NpgsqlParameter("data", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { Value = data });
        command.Parameters.Add(new NpgsqlParameter("client_ids", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { Value = clientIds });
        command.Parameters.Add(new NpgsqlParameter<int[]>("sites", sites));
        await command.ExecuteNonQueryAsync(ct);
    }

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
