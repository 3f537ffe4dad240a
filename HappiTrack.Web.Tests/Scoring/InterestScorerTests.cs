using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Brain;

/// <summary>
/// <see cref="InterestScorer"/> on its own, over the real database: events stored as the tracker and
/// cart store them, applied in a transaction as the projector applies them, without any rule.
/// </summary>
public class InterestScorerTests : IAsyncLifetime
{
    private const string Featured = BrainKit.Featured;
    private const string Other = "macbook-air-13";
    private static readonly TimeSpan HalfLife = new ScoringSettings().HalfLife;
    private readonly HappiTrackFactory _app = new();
    private long _applied;
    private BrainKit Kit => new(_app);

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _app.DisposeAsync();

    /// <summary>Applies the events stored since the last call, as one batch, and saves the rows in one committed transaction.</summary>
    private async Task<ScoringResult> ApplyAsync(double threshold = 60, ScoringSettings? settings = null)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var events = await db.Events.AsNoTracking().Where(e => e.Id > _applied).OrderBy(e => e.Id).ToListAsync();
        if (events.Count > 0) _applied = events[^1].Id;
        await using var transaction = await db.Database.BeginTransactionAsync();
        var result = await scope.ServiceProvider.GetRequiredService<InterestScorer>()
            .ApplyAsync(events, settings ?? new ScoringSettings(), threshold, Kit.Now);
        // The scorer only changes tracked rows; saving them is the caller's (the projector's) business.
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
        return result;
    }

    private Task<Dictionary<(InterestDimension, int), InterestScore>> RowsAsync(string subject) =>
        _app.WithDbAsync(db => db.Set<InterestScore>().AsNoTracking().Where(s => s.SubjectKey == subject)
            .ToDictionaryAsync(s => (s.Dimension, s.TargetId)));

    private Task<List<int>> TagIdsAsync(string slug) =>
        _app.WithDbAsync(db => db.Products.Where(p => p.Slug == slug).SelectMany(p => p.Tags).Select(t => t.Id).ToListAsync());

    [Fact]
    public async Task Only_the_event_that_takes_a_product_score_across_the_threshold_reports_a_crossing()
    {
        var contact = await Kit.ContactAsync();
        var visitor = await Kit.VisitorAsync(contact.Id);
        var anonymous = await Kit.VisitorAsync();
        var product = await Kit.ProductIdAsync(Featured);
        var tags = await TagIdsAsync(Featured);
        Assert.NotEmpty(tags);

        await Kit.EventAsync(visitor, EventTypes.PageView);
        await Kit.EventAsync(visitor, EventTypes.ProductView, Featured);      // 5
        await Kit.EventAsync(visitor, EventTypes.LingerSpecs, Featured);      // 20
        await Kit.AddToCartAsync(visitor, Featured);                          // 70: crosses 60
        await Kit.EventAsync(visitor, EventTypes.LingerSpecs, Featured);      // 85: already above
        await Kit.AddToCartAsync(anonymous, Featured);                        // 50
        await Kit.EventAsync(anonymous, EventTypes.LingerSpecs, Featured);    // 65: crosses, but nobody to name
        var result = await ApplyAsync();

        Assert.Equal(7, result.Events.Count);
        ThresholdCrossing?[] expected = [null, null, null, new(contact.Id, product, 20, 70), null, null, new(null, product, 50, 65)];
        Assert.Equal(expected, result.Events.Select(e => e.Crossing));
        Assert.All(result.Events.Take(5), e => Assert.Equal(contact.Id, e.ContactId));
        Assert.All(result.Events.Skip(5), e => Assert.Null(e.ContactId));
        Assert.Equal(new[] { contact.Id }, result.TouchedContacts);
        Assert.Empty(result.MergeCrossings);

        var rows = await RowsAsync(Subject.Contact(contact.Id));
        Assert.Equal(85, rows[(InterestDimension.Product, product)].Score, 9);
        Assert.All(tags, t => Assert.Equal(85, rows[(InterestDimension.Tag, t)].Score, 9));
        Assert.Equal(65, (await RowsAsync(Subject.Visitor(anonymous)))[(InterestDimension.Product, product)].Score, 9);

        // The threshold is the caller's: the same 15 points cross 90 but not 60, counted from the stored row.
        await Kit.EventAsync(visitor, EventTypes.LingerSpecs, Featured);      // 100
        var next = await ApplyAsync(threshold: 90);
        Assert.Equal(new ThresholdCrossing(contact.Id, product, 85, 100), Assert.Single(next.Events).Crossing);
    }

    [Fact]
    public async Task Client_events_spend_an_hourly_budget_that_server_events_do_not()
    {
        var visitor = await Kit.VisitorAsync();
        var product = await Kit.ProductIdAsync(Featured);
        var settings = new ScoringSettings { ClientPointsPerHour = 40 };
        for (var i = 0; i < 4; i++) await Kit.EventAsync(visitor, EventTypes.LingerSpecs, Featured); // 15 + 15 + 10 + 0
        await Kit.AddToCartAsync(visitor, Featured);                                                   // server: all 50
        await ApplyAsync(settings: settings);

        var score = (await RowsAsync(Subject.Visitor(visitor)))[(InterestDimension.Product, product)];
        Assert.Equal(90, score.Score, 9);
        var usage = await _app.WithDbAsync(db => db.Set<ClientBudgetUsage>().AsNoTracking().SingleAsync(u => u.VisitorId == visitor));
        Assert.Equal(40, usage.Points, 9);
        Assert.Equal(ClientBudget.WindowStart(Kit.Now), usage.WindowStart);

        // The spent budget is stored: a later batch in the same hour gets nothing more.
        await Kit.EventAsync(visitor, EventTypes.LingerSpecs, Featured);
        await ApplyAsync(settings: settings);
        Assert.Equal(90, (await RowsAsync(Subject.Visitor(visitor)))[(InterestDimension.Product, product)].Score, 9);

        // The next clock hour has a budget of its own.
        _app.Clock.Advance(TimeSpan.FromHours(1));
        await Kit.EventAsync(visitor, EventTypes.LingerSpecs, Featured);
        await ApplyAsync(settings: settings);
        var decayed = 90 * ScoreMath.DecayFactor(TimeSpan.FromHours(1), HalfLife);
        Assert.Equal(decayed + 15, (await RowsAsync(Subject.Visitor(visitor)))[(InterestDimension.Product, product)].Score, 9);
        Assert.Equal(2, await _app.WithDbAsync(db => db.Set<ClientBudgetUsage>().CountAsync(u => u.VisitorId == visitor)));
    }

    [Fact]
    public async Task A_linked_visitors_rows_merge_into_the_contacts_decayed_to_one_time_and_can_cross()
    {
        var contact = await Kit.ContactAsync();
        var known = await Kit.VisitorAsync(contact.Id);
        var anonymous = await Kit.VisitorAsync();
        var product = await Kit.ProductIdAsync(Featured);
        var tags = await TagIdsAsync(Featured);
        await Kit.EventAsync(known, EventTypes.LingerSpecs, Featured, EventSource.Server); // contact: 15
        await Kit.AddToCartAsync(anonymous, Featured);                                       // visitor: 50
        await Kit.EventAsync(anonymous, EventTypes.ProductView, Other);                      // visitor: 5, merges without crossing
        var otherTags = await TagIdsAsync(Other);
        await ApplyAsync(threshold: 30);
        Assert.NotEmpty(await RowsAsync(Subject.Visitor(anonymous)));

        // One half-life later the visitor follows a tracked link; the next batch has no events, only the merge.
        _app.Clock.Advance(HalfLife);
        await Kit.LinkAsync(anonymous, contact.Id);
        var result = await ApplyAsync(threshold: 30);

        Assert.Empty(result.Events);
        Assert.Equal(new[] { contact.Id }, result.TouchedContacts);
        var crossing = Assert.Single(result.MergeCrossings); // tags merge too, but only a product score can cross
        Assert.Equal(contact.Id, crossing.ContactId);
        Assert.Equal(product, crossing.ProductId);
        Assert.Equal(7.5, crossing.Before, 9);
        Assert.Equal(32.5, crossing.After, 9);
        Assert.Empty(await RowsAsync(Subject.Visitor(anonymous)));
        var rows = await RowsAsync(Subject.Contact(contact.Id));
        Assert.Equal(65, rows[(InterestDimension.Product, product)].Score, 9); // 15 + 50, both as of the same time
        Assert.Equal(32.5, rows[(InterestDimension.Product, product)].Value.ValueAt(Kit.Now, HalfLife), 9);
        Assert.Equal(2.5, rows[(InterestDimension.Product, await Kit.ProductIdAsync(Other))].Value.ValueAt(Kit.Now, HalfLife), 9);
        Assert.All(tags, t => Assert.Equal(32.5 + (otherTags.Contains(t) ? 2.5 : 0), rows[(InterestDimension.Tag, t)].Value.ValueAt(Kit.Now, HalfLife), 9));
        Assert.All(rows.Values, r => Assert.Null(r.VisitorId));

        // Merged rows are gone, so the next batch merges nothing and crosses nothing.
        var again = await ApplyAsync(threshold: 30);
        Assert.Empty(again.MergeCrossings);
        Assert.Empty(again.TouchedContacts);
    }
}
