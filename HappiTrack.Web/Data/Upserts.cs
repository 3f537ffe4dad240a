using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace HappiTrack.Web.Data;

/// <summary>
/// Writes the pending rows of one entity type as multi-row <c>DELETE … IN</c> and
/// <c>INSERT … ON CONFLICT (unique key) DO UPDATE</c> statements (SQLite and PostgreSQL alike) instead
/// of SaveChanges' one statement per row: EF Core's SQLite provider does not batch, and the projector's
/// ~2,000 score rows per batch, saved one by one, were most of the time it held SQLite's single write lock
/// while the tracker's group commit waited (issue 16). The rows are written by their unique key, not by
/// id, and detached afterwards: the caller must not use their ids, and must not need them tracked.
/// </summary>
public static class Upserts
{
    // 7 columns × 400 rows stays well under SQLite's 32,766 and PostgreSQL's 65,535 parameters per statement.
    private const int RowsPerStatement = 400;

    /// <summary>
    /// Writes the pending changes of <typeparamref name="T"/> and detaches the rows: deletes first (by
    /// primary key), so that a row deleted and re-added under the same key in one batch ends up inserted.
    /// </summary>
    /// <param name="conflictKey">The properties of the unique index a new row may collide with.</param>
    /// <param name="updated">The properties an existing row takes from the new values.</param>
    /// <returns>Rows deleted, inserted or updated.</returns>
    public static async Task<int> WritePendingAsync<T>(this DbContext db, string[] conflictKey, string[] updated, CancellationToken ct) where T : class
    {
        var entityType = db.Model.FindEntityType(typeof(T))!;
        var table = entityType.GetTableName()!;
        var deleted = db.ChangeTracker.Entries<T>().Where(e => e.State == EntityState.Deleted).ToList();
        if (deleted.Count > 0)
        {
            var key = entityType.FindPrimaryKey()!.Properties.Single();
            foreach (var chunk in deleted.Chunk(RowsPerStatement * 4))
            {
                var placeholders = string.Join(", ", chunk.Select((_, i) => $"{{{i}}}"));
                await db.Database.ExecuteSqlRawAsync($"DELETE FROM {Quote(table)} WHERE {Quote(key.GetColumnName())} IN ({placeholders})",
                    chunk.Select(e => e.Property(key.Name).CurrentValue!), ct);
            }
            foreach (var entry in deleted) entry.State = EntityState.Detached;
        }
        var entries = db.ChangeTracker.Entries<T>().Where(e => e.State is EntityState.Added or EntityState.Modified).ToList();
        if (entries.Count == 0) return deleted.Count;
        var columns = entityType.GetProperties().Where(p => !p.IsPrimaryKey() && p.GetColumnName() is not null).ToList();
        string Column(string property) => Quote(entityType.FindProperty(property)!.GetColumnName());

        var head = $"INSERT INTO {Quote(table)} ({string.Join(", ", columns.Select(c => Quote(c.GetColumnName())))}) VALUES ";
        var tail = $" ON CONFLICT ({string.Join(", ", conflictKey.Select(Column))}) DO UPDATE SET "
            + string.Join(", ", updated.Select(p => $"{Column(p)} = excluded.{Column(p)}"));
        foreach (var chunk in entries.Chunk(RowsPerStatement))
        {
            var sql = new StringBuilder(head);
            var parameters = new List<object?>(chunk.Length * columns.Count);
            for (var row = 0; row < chunk.Length; row++)
            {
                sql.Append(row == 0 ? "(" : ", (");
                for (var c = 0; c < columns.Count; c++)
                {
                    if (c > 0) sql.Append(", ");
                    sql.Append('{').Append(parameters.Count).Append('}');
                    parameters.Add(ProviderValue(chunk[row], columns[c]));
                }
                sql.Append(')');
            }
            sql.Append(tail);
            await db.Database.ExecuteSqlRawAsync(sql.ToString(), parameters!, ct);
        }
        foreach (var entry in entries) entry.State = EntityState.Detached;
        return deleted.Count + entries.Count;
    }

    /// <summary>The value as SaveChanges would send it: through the property's value converter (enums as numbers).</summary>
    private static object? ProviderValue<T>(EntityEntry<T> entry, Microsoft.EntityFrameworkCore.Metadata.IProperty property) where T : class
    {
        var value = entry.Property(property.Name).CurrentValue;
        var converter = property.GetTypeMapping().Converter;
        return value is null ? null : converter is null ? value : converter.ConvertToProvider(value);
    }

    private static string Quote(string identifier) => $"\"{identifier.Replace("\"", "\"\"")}\"";
}
