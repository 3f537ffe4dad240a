using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

/// <summary>
/// What SQLite itself can do on this machine with HappiTrack's rows: the same tables and indexes (a copy of the
/// app's migrated database, emptied), the same pragmas (WAL, synchronous=NORMAL, busy_timeout, foreign keys) and
/// the same single-row prepared statements the app's SqliteEventStore uses, executed by one bare ADO.NET loop with
/// no HTTP, no JSON parsing, no jobs. Each transaction holds <c>--group</c> tracker batches, as a group commit
/// under saturation does. The app's events/s divided by this figure is the share of the storage limit it reaches.
/// </summary>
static class Limit
{
    public static int Run(string schemaFrom, string target, int seconds, int groupSize, string label)
    {
        if (File.Exists(target)) File.Delete(target);
        using (var source = new SqliteConnection($"Data Source={schemaFrom};Mode=ReadOnly"))
        {
            source.Open();
            using var vacuum = source.CreateCommand();
            vacuum.CommandText = "VACUUM INTO $target";
            vacuum.Parameters.AddWithValue("$target", target);
            vacuum.ExecuteNonQuery();
        }

        using var connection = new SqliteConnection($"Data Source={target}");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
        Execute(connection, "DELETE FROM \"Events\"; DELETE FROM \"Visitors\";");
        var productIds = new Dictionary<string, long>(StringComparer.Ordinal);
        using (var products = connection.CreateCommand())
        {
            products.CommandText = "SELECT \"Slug\", \"Id\" FROM \"Products\"";
            using var reader = products.ExecuteReader();
            while (reader.Read()) productIds[reader.GetString(0)] = reader.GetInt64(1);
        }

        var pool = RowPool(productIds, 4096);
        var visitors = Enumerable.Range(0, 2000).Select(i => $"bench-visitor-{i:D6}-limit").ToArray();
        var random = new Random(7);
        long rows = 0, commits = 0, sequence = 0;
        var clock = Stopwatch.StartNew();
        var duration = TimeSpan.FromSeconds(seconds);
        while (clock.Elapsed < duration)
        {
            using var transaction = connection.BeginTransaction();
            using var upsert = Prepare(connection, transaction, """
                INSERT INTO "Visitors" ("Id", "FirstSeenAt", "LastSeenAt") VALUES ($id, $t, $t)
                ON CONFLICT ("Id") DO UPDATE SET "LastSeenAt" = MAX("LastSeenAt", excluded."LastSeenAt")
                RETURNING "ContactId"
                """, "$id", "$t");
            using var insert = Prepare(connection, transaction, """
                INSERT INTO "Events" ("Type", "VisitorId", "ContactId", "ProductId", "Source", "OccurredAt", "ClientTime", "Path", "Data", "ClientEventId")
                VALUES ($type, $visitor, NULL, $product, 0, $at, $clientTime, $path, $data, $clientId)
                ON CONFLICT DO NOTHING
                """, "$type", "$visitor", "$product", "$at", "$clientTime", "$path", "$data", "$clientId");
            var now = DateTime.UtcNow;
            for (var b = 0; b < groupSize; b++)
            {
                var visitor = visitors[random.Next(visitors.Length)];
                upsert.Parameters["$id"].Value = visitor;
                upsert.Parameters["$t"].Value = now;
                using (var reader = upsert.ExecuteReader()) reader.Read();
                var stamp = (++sequence).ToString("x12", CultureInfo.InvariantCulture);
                foreach (var row in pool[random.Next(pool.Length)])
                {
                    insert.Parameters["$type"].Value = row.Type;
                    insert.Parameters["$visitor"].Value = visitor;
                    insert.Parameters["$product"].Value = row.ProductId is { } id ? id : DBNull.Value;
                    insert.Parameters["$at"].Value = now;
                    insert.Parameters["$clientTime"].Value = now;
                    insert.Parameters["$path"].Value = row.Path;
                    insert.Parameters["$data"].Value = (object?)row.Data ?? DBNull.Value;
                    insert.Parameters["$clientId"].Value = stamp + row.IdSuffix;
                    rows += insert.ExecuteNonQuery();
                }
            }
            transaction.Commit();
            commits++;
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label,-8} limit  {"bare ADO.NET, " + groupSize + " batches/tx",-22} rows/s {rows / elapsed,11:0}  transactions/s {commits / elapsed,6:0}  rows {rows}  wall {elapsed:0.0} s"));
        return 0;
    }

    private sealed record Row(string Type, long? ProductId, string Path, string? Data, string IdSuffix);

    /// <summary>The load generator's own batches, turned into the rows the app would store for them.</summary>
    private static Row[][] RowPool(Dictionary<string, long> productIds, int size)
    {
        var random = new Random(42);
        return Enumerable.Range(0, size).Select(_ =>
        {
            var (body, _) = Batches.Next(random);
            using var document = JsonDocument.Parse(body);
            return document.RootElement.GetProperty("events").EnumerateArray().Select((e, i) =>
            {
                var data = e.GetProperty("data");
                var slug = e.TryGetProperty("slug", out var s) ? s.GetString() : null;
                var fields = data.EnumerateObject().Where(p => p.Name != "path").ToList();
                var json = fields.Count == 0 ? null : "{" + string.Join(",", fields.Select(p => JsonSerializer.Serialize(p.Name) + ":" + p.Value.GetRawText())) + "}";
                return new Row(e.GetProperty("type").GetString()!, slug is not null && productIds.TryGetValue(slug, out var id) ? id : null,
                    data.GetProperty("path").GetString()!, json, i.ToString("x4", CultureInfo.InvariantCulture) + random.Next().ToString("x8", CultureInfo.InvariantCulture));
            }).ToArray();
        }).ToArray();
    }

    private static SqliteCommand Prepare(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in parameters) command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
        command.Prepare();
        return command;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
