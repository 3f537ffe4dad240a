using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Operations;

/// <summary>
/// The projector writes its score rows with <see cref="Upserts.WritePendingAsync{T}"/> (multi-row statements)
/// instead of SaveChanges (one statement per row on SQLite), to hold SQLite's write lock for less time (issue 16).
/// The rows must come out exactly as SaveChanges would have written them, on both providers.
/// </summary>
public sealed class UpsertTests
{
    private static readonly string[] ScoreKey = [nameof(InterestScore.SubjectKey), nameof(InterestScore.Dimension), nameof(InterestScore.TargetId)];
    private static readonly string[] ScoreValues = [nameof(InterestScore.Score), nameof(InterestScore.AsOf)];

    [Fact]
    public async Task Updates_deletes_and_inserts_land_as_SaveChanges_would_write_them_and_the_rows_are_detached()
    {
        await using var app = new HappiTrackFactory();
        var asOf = HappiTrackFactory.DefaultStart.UtcDateTime.AddMinutes(-7).AddTicks(1_234_560); // microseconds: PostgreSQL keeps no finer;
        long replacedId;
        await using (var seed = app.CreateDbContext())
        {
            var kept = Row("v:upsert-a", InterestDimension.Product, 1, 1, asOf);
            var replaced = Row("v:upsert-b", InterestDimension.Product, 1, 2, asOf);
            seed.AddRange(kept, replaced);
            await seed.SaveChangesAsync();
            replacedId = replaced.Id;
        }

        await using (var db = app.CreateDbContext())
        {
            var rows = await db.Set<InterestScore>().Where(s => s.SubjectKey.StartsWith("v:upsert-")).ToListAsync();
            rows.Single(r => r.SubjectKey == "v:upsert-a").Score = 5;
            db.Remove(rows.Single(r => r.SubjectKey == "v:upsert-b"));
            // The same key, deleted and added again in one batch (a merge can do that): the new row must survive.
            db.Add(Row("v:upsert-b", InterestDimension.Product, 1, 9, asOf));
            db.Add(Row("v:upsert-c", InterestDimension.Tag, 3, 0.25, asOf, visitorId: "upsert-c"));

            Assert.Equal(4, await db.WritePendingAsync<InterestScore>(ScoreKey, ScoreValues, default));
            Assert.Empty(db.ChangeTracker.Entries<InterestScore>());
            Assert.Equal(0, await db.SaveChangesAsync());
        }

        await using var check = app.CreateDbContext();
        var stored = await check.Set<InterestScore>().AsNoTracking().Where(s => s.SubjectKey.StartsWith("v:upsert-")).ToDictionaryAsync(s => s.SubjectKey);
        Assert.Equal(3, stored.Count);
        Assert.Equal(5, stored["v:upsert-a"].Score);
        Assert.Equal(9, stored["v:upsert-b"].Score);
        Assert.NotEqual(replacedId, stored["v:upsert-b"].Id);
        var tag = stored["v:upsert-c"];
        Assert.Equal((InterestDimension.Tag, 3, 0.25, "upsert-c", (int?)null), (tag.Dimension, tag.TargetId, tag.Score, tag.VisitorId, tag.ContactId));
        // Compared in SQL, not only in memory: on SQLite a date written in another text format would not match.
        Assert.Equal(3, await check.Set<InterestScore>().CountAsync(s => s.SubjectKey.StartsWith("v:upsert-") && s.AsOf == asOf));
    }

    [Fact]
    public async Task More_rows_than_one_statement_takes_are_written_in_several_and_a_conflicting_insert_updates_the_existing_row()
    {
        await using var app = new HappiTrackFactory();
        var asOf = HappiTrackFactory.DefaultStart.UtcDateTime;
        await using (var seed = app.CreateDbContext())
        {
            seed.Add(Row("v:bulk", InterestDimension.Product, 0, 1, asOf));
            await seed.SaveChangesAsync();
        }
        await using (var db = app.CreateDbContext())
        {
            // Another writer's row under the same key: the insert turns into an update instead of failing the batch.
            for (var target = 0; target < 1_001; target++) db.Add(Row("v:bulk", InterestDimension.Product, target, target + 0.5, asOf));
            Assert.Equal(1_001, await db.WritePendingAsync<InterestScore>(ScoreKey, ScoreValues, default));
        }
        await using var check = app.CreateDbContext();
        var scores = await check.Set<InterestScore>().Where(s => s.SubjectKey == "v:bulk").OrderBy(s => s.TargetId).Select(s => s.Score).ToListAsync();
        Assert.Equal(Enumerable.Range(0, 1_001).Select(t => t + 0.5), scores);
    }

    private static InterestScore Row(string subject, InterestDimension dimension, int target, double score, DateTime asOf, string? visitorId = null) =>
        new() { SubjectKey = subject, Dimension = dimension, TargetId = target, Score = score, AsOf = asOf, VisitorId = visitorId };
}
