using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Tracking;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Rules;

/// <summary>How far a projector has read the Events table.</summary>
public sealed class ProjectorCheckpoint
{
    public required string Name { get; set; }
    public long Position { get; set; }
    public DateTime UpdatedAt { get; set; }
}

internal sealed class ProjectorCheckpointConfiguration : IEntityTypeConfiguration<ProjectorCheckpoint>
{
    public void Configure(EntityTypeBuilder<ProjectorCheckpoint> b)
    {
        b.HasKey(c => c.Name);
        b.Property(c => c.Name).HasMaxLength(64);
    }
}

/// <summary>
/// The project-events job's work (<see cref="ProjectEventsJob"/>). Reads events after its checkpoint in id order, in bounded
/// batches, and in ONE transaction per batch updates interest rows, evaluates the interest and
/// exit-intent rules, writes their nudges and advances the checkpoint. A crash rolls all of it
/// back, so each event is applied exactly once, and scoring stays off the ingestion hot path.
/// </summary>
public sealed class EventProjector(
    AppDbContext db,
    RuleSettingsService settingsService,
    RuleActions actions,
    IOutboxTrigger outboxTrigger,
    ContactSummaryRefresher summaries,
    TimeProvider clock,
    ILogger<EventProjector> logger)
{
    public const string CheckpointName = ProjectEventsJob.Id;
    public const int BatchSize = 500;
    private const int MaxBatchesPerRun = 20;
    private const int PrefetchChunk = 500;

    // One projector at a time per process; across instances the conditional checkpoint update decides.
    private static readonly SemaphoreSlim Gate = new(1, 1);

    private readonly Dictionary<(string, InterestDimension, int), InterestScore> _scores = new();
    private readonly Dictionary<(string, DateTime), ClientBudgetUsage> _budgets = new();
    private readonly HashSet<int> _touchedContacts = [];
    // Subjects and budget windows whose rows were all loaded up front: a key missing from the caches is a new row, not a query.
    private readonly HashSet<string> _prefetchedSubjects = new(StringComparer.Ordinal);
    private readonly HashSet<(string, DateTime)> _prefetchedBudgets = [];
    private int _nudgesWritten;

    /// <returns>Events projected in this run.</returns>
    public async Task<int> RunAsync(CancellationToken ct = default)
    {
        await Gate.WaitAsync(ct);
        try
        {
            var total = 0;
            for (var i = 0; i < MaxBatchesPerRun; i++)
            {
                var projected = await RunBatchAsync(ct);
                total += projected;
                if (projected < BatchSize) break;
            }
            return total;
        }
        finally
        {
            Gate.Release();
            if (_nudgesWritten > 0) outboxTrigger.NudgeWritten();
        }
    }

    private async Task<int> RunBatchAsync(CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        _scores.Clear();
        _budgets.Clear();
        _touchedContacts.Clear();
        _prefetchedSubjects.Clear();
        _prefetchedBudgets.Clear();
        var settings = await settingsService.GetAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var position = await db.Set<ProjectorCheckpoint>().Where(c => c.Name == CheckpointName).Select(c => (long?)c.Position).FirstOrDefaultAsync(ct);
        if (position is null)
        {
            db.Add(new ProjectorCheckpoint { Name = CheckpointName, Position = 0, UpdatedAt = now });
            await db.SaveChangesAsync(ct);
            position = 0;
        }

        var events = await db.Events.AsNoTracking().Where(e => e.Id > position).OrderBy(e => e.Id).Take(BatchSize).ToListAsync(ct);
        var nudgesBefore = _nudgesWritten;
        await MergeLinkedVisitorsAsync(settings, now, ct);
        if (events.Count > 0)
        {
            var newPosition = events[^1].Id;
            // Claims the batch: another projector that read the same checkpoint updates zero rows and backs off.
            var claimed = await db.Set<ProjectorCheckpoint>()
                .Where(c => c.Name == CheckpointName && c.Position == position)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Position, newPosition).SetProperty(c => c.UpdatedAt, now), ct);
            if (claimed != 1)
            {
                await transaction.RollbackAsync(ct);
                _nudgesWritten = nudgesBefore;
                return 0;
            }
            await ProjectAsync(events, settings, now, ct);
        }
        await db.SaveChangesAsync(ct);
        // The admin list's materialised columns commit with the scores they summarise.
        await summaries.RefreshAsync(_touchedContacts, ct);
        await transaction.CommitAsync(ct);
        if (events.Count > 0) logger.LogDebug("Projected {Count} events up to {Position}", events.Count, events[^1].Id);
        return events.Count;
    }

    private async Task ProjectAsync(List<TrackEvent> events, RuleSettings settings, DateTime now, CancellationToken ct)
    {
        var visitorIds = events.Select(e => e.VisitorId).Distinct().ToList();
        var visitorContacts = await db.Visitors.AsNoTracking().Where(v => visitorIds.Contains(v.Id))
            .ToDictionaryAsync(v => v.Id, v => v.ContactId, ct);
        var productIds = events.Where(e => e.ProductId != null).Select(e => e.ProductId!.Value).Distinct().ToList();
        var products = await db.Products.AsNoTracking().Include(p => p.Tags).Where(p => productIds.Contains(p.Id))
            .ToDictionaryAsync(p => p.Id, ct);
        var contacts = new Dictionary<int, Contact>();
        await PrefetchScoresAsync(events, visitorContacts, ct);
        await PrefetchBudgetsAsync(events, ct);

        foreach (var e in events)
        {
            // The visitor's current link wins over the event's copy: events stored before the link still score the contact.
            var contactId = visitorContacts.GetValueOrDefault(e.VisitorId) ?? e.ContactId;
            var contact = contactId is { } cid ? await ContactAsync(contacts, cid, ct) : null;
            var subject = contact is null ? Subject.Visitor(e.VisitorId) : Subject.Contact(contact.Id);

            var weight = EventWeights.For(e.Type, e.Source, settings.Scoring);
            if (weight > 0 && e.Source == EventSource.Client)
                weight = await SpendClientBudgetAsync(e.VisitorId, e.OccurredAt, weight, settings.Scoring, ct);

            if (weight != 0 && e.ProductId is { } productId && products.TryGetValue(productId, out var product))
            {
                var (before, after) = await AddAsync(subject, contact?.Id, e.VisitorId, InterestDimension.Product, productId, weight, e.OccurredAt, settings);
                foreach (var tag in product.Tags)
                    await AddAsync(subject, contact?.Id, e.VisitorId, InterestDimension.Tag, tag.Id, weight, e.OccurredAt, settings);
                if (contact is not null) await EvaluateInterestAsync(contact, product, before, after, settings, e.Id, now, ct);
            }

            if (contact is null) continue;
            _touchedContacts.Add(contact.Id);
            if (e.Type == EventTypes.ExitIntent) await EvaluateExitIntentAsync(contact, e.VisitorId, settings, now, ct);
            else if (e.Type == EventTypes.Purchase) await EvaluateVipAsync(contact, settings, now, ct);
        }
    }

    /// <summary>
    /// Loads every score row of the subjects this batch can touch in a few queries, instead of one
    /// query per (subject, dimension, target): the per-row queries were most of the projector's CPU
    /// and kept SQLite's write lock (and so the tracker's group commit) waiting.
    /// </summary>
    private async Task PrefetchScoresAsync(List<TrackEvent> events, Dictionary<string, int?> visitorContacts, CancellationToken ct)
    {
        var subjects = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (e.ProductId is null) continue;
            subjects.Add(Subject.Visitor(e.VisitorId));
            if ((visitorContacts.GetValueOrDefault(e.VisitorId) ?? e.ContactId) is { } contactId) subjects.Add(Subject.Contact(contactId));
        }
        foreach (var chunk in subjects.Chunk(PrefetchChunk))
        {
            var rows = await db.Set<InterestScore>().Where(s => chunk.Contains(s.SubjectKey)).ToListAsync(ct);
            // Rows the merge step already holds are the same tracked instances; its entries stay.
            foreach (var row in rows) _scores.TryAdd((row.SubjectKey, row.Dimension, row.TargetId), row);
        }
        _prefetchedSubjects.UnionWith(subjects);
    }

    private async Task PrefetchBudgetsAsync(List<TrackEvent> events, CancellationToken ct)
    {
        var keys = new HashSet<(string VisitorId, DateTime Window)>();
        foreach (var e in events)
            if (e.Source == EventSource.Client) keys.Add((e.VisitorId, ClientBudget.WindowStart(e.OccurredAt)));
        if (keys.Count == 0) return;
        var earliest = keys.Min(k => k.Window);
        var latest = keys.Max(k => k.Window);
        foreach (var chunk in keys.Select(k => k.VisitorId).Distinct().Chunk(PrefetchChunk))
        {
            var rows = await db.Set<ClientBudgetUsage>()
                .Where(u => chunk.Contains(u.VisitorId) && u.WindowStart >= earliest && u.WindowStart <= latest)
                .ToListAsync(ct);
            foreach (var row in rows) _budgets.TryAdd((row.VisitorId, row.WindowStart), row);
        }
        _prefetchedBudgets.UnionWith(keys);
    }

    private async Task<Contact?> ContactAsync(Dictionary<int, Contact> cache, int id, CancellationToken ct)
    {
        if (cache.TryGetValue(id, out var known)) return known;
        var contact = await db.Contacts.FirstOrDefaultAsync(c => c.Id == id, ct);
        if (contact is not null) cache[id] = contact;
        return contact;
    }

    private async Task<(double Before, double After)> AddAsync(
        string subject, int? contactId, string visitorId, InterestDimension dimension, int targetId, double weight, DateTime at, RuleSettings settings)
    {
        var row = await ScoreRowAsync(subject, contactId, contactId is null ? visitorId : null, dimension, targetId);
        var halfLife = settings.Scoring.HalfLife;
        var before = row.Value.ValueAt(at, halfLife);
        var updated = row.Value.Add(weight, at, halfLife);
        row.Score = updated.Value;
        row.AsOf = updated.AsOf;
        return (before, updated.ValueAt(at, halfLife));
    }

    private async Task<InterestScore> ScoreRowAsync(string subject, int? contactId, string? visitorId, InterestDimension dimension, int targetId)
    {
        var key = (subject, dimension, targetId);
        if (_scores.TryGetValue(key, out var row)) return row;
        if (!_prefetchedSubjects.Contains(subject))
            row = await db.Set<InterestScore>().FirstOrDefaultAsync(s => s.SubjectKey == subject && s.Dimension == dimension && s.TargetId == targetId);
        if (row is null)
        {
            row = new InterestScore { SubjectKey = subject, ContactId = contactId, VisitorId = visitorId, Dimension = dimension, TargetId = targetId, AsOf = DateTime.MinValue };
            db.Add(row);
        }
        _scores[key] = row;
        return row;
    }

    private async Task<double> SpendClientBudgetAsync(string visitorId, DateTime at, double weight, ScoringSettings settings, CancellationToken ct)
    {
        var window = ClientBudget.WindowStart(at);
        if (!_budgets.TryGetValue((visitorId, window), out var usage))
        {
            if (!_prefetchedBudgets.Contains((visitorId, window)))
                usage = await db.Set<ClientBudgetUsage>().FirstOrDefaultAsync(u => u.VisitorId == visitorId && u.WindowStart == window, ct);
            if (usage is null)
            {
                usage = new ClientBudgetUsage { VisitorId = visitorId, WindowStart = window };
                db.Add(usage);
            }
            _budgets[(visitorId, window)] = usage;
        }
        var granted = ClientBudget.Grant(usage.Points, weight, settings.ClientPointsPerHour);
        usage.Points += granted;
        return granted;
    }

    private async Task EvaluateInterestAsync(Contact contact, Product product, double before, double after, RuleSettings settings, long eventId, DateTime now, CancellationToken ct)
    {
        if (!(settings.InterestDiscount.Enabled && ScoreMath.Crossed(before, after, settings.InterestDiscount.Threshold))) return;
        // Like "most desired", an offer is only for what the contact has not bought: a purchase scores too.
        if (await RuleActions.HasPurchasedAsync(db, contact.Id, product.Id, ct)) return;
        var lastOffer = await RuleActions.LastInterestOfferAsync(db, contact.Id, product.Id, ct);
        if (!RuleDecisions.InterestDiscountFires(settings.InterestDiscount, true, before, after, lastOffer, now)) return;
        if (await actions.InterestDiscountAsync(db, contact, product, settings, eventId, now, ct) is not null)
        {
            _nudgesWritten++;
            await db.SaveChangesAsync(ct);
        }
    }

    private async Task EvaluateExitIntentAsync(Contact contact, string visitorId, RuleSettings settings, DateTime now, CancellationToken ct)
    {
        if (!settings.CartRescue.Enabled) return;
        var cart = await db.Carts.Include(c => c.Lines).FirstOrDefaultAsync(c => c.VisitorId == visitorId, ct);
        if (cart is null) return;
        var pending = await RuleActions.RescuePendingAsync(db, cart.Id, ct);
        if (!RuleDecisions.CartRescueOnExitFires(settings.CartRescue, true, !cart.IsEmpty, pending)) return;
        if (await actions.CartRescueAsync(db, contact, cart, settings, now, ct) is not null)
        {
            _nudgesWritten++;
            await db.SaveChangesAsync(ct);
        }
    }

    private async Task EvaluateVipAsync(Contact contact, RuleSettings settings, DateTime now, CancellationToken ct)
    {
        if (contact.VipStatus || !settings.Vip.Enabled) return;
        var orders = await RuleActions.CompletedOrdersAsync(db, contact.Id, ct);
        if (!RuleDecisions.VipUpgradeFires(settings.Vip, contact.VipStatus, orders)) return;
        if (await actions.VipUpgradeAsync(db, contact, orders, settings, now, ct) is not null) _nudgesWritten++;
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Re-key on link: interest rows of visitors that a tracked link has since tied to a contact are
    /// merged into the contact's rows (both decayed to a common time) and deleted; a product score
    /// that crosses the threshold by the merge fires the interest rule like any other crossing.
    /// </summary>
    private async Task MergeLinkedVisitorsAsync(RuleSettings settings, DateTime now, CancellationToken ct)
    {
        var orphans = await db.Set<InterestScore>()
            // IN (linked visitors) lets the database seek the VisitorId index; the former correlated
            // EXISTS scanned every visitor's score row on every batch (15 ms at 10,000 rows on SQLite).
            // "> 0" (ids are positive) rather than "!= null": SQLite uses the ContactId index for a range only.
            .Where(s => s.VisitorId != null && db.Visitors.Where(v => v.ContactId > 0).Select(v => v.Id).Contains(s.VisitorId))
            .OrderBy(s => s.Id)
            .Take(BatchSize)
            .ToListAsync(ct);
        if (orphans.Count == 0) return;
        var orphanVisitors = orphans.Select(o => o.VisitorId!).Distinct().ToList();
        var links = await db.Visitors.AsNoTracking().Where(v => orphanVisitors.Contains(v.Id)).ToDictionaryAsync(v => v.Id, v => v.ContactId!.Value, ct);
        var halfLife = settings.Scoring.HalfLife;
        var crossings = new List<(int ContactId, int ProductId, double Before, double After)>();

        foreach (var orphan in orphans)
        {
            var contactId = links[orphan.VisitorId!];
            _touchedContacts.Add(contactId);
            var row = await ScoreRowAsync(Subject.Contact(contactId), contactId, null, orphan.Dimension, orphan.TargetId);
            var before = row.Value.ValueAt(now, halfLife);
            var merged = row.AsOf == DateTime.MinValue ? orphan.Value : row.Value.Merge(orphan.Value, halfLife);
            row.Score = merged.Value;
            row.AsOf = merged.AsOf;
            db.Remove(orphan);
            if (orphan.Dimension == InterestDimension.Product)
                crossings.Add((contactId, orphan.TargetId, before, merged.ValueAt(now, halfLife)));
        }
        await db.SaveChangesAsync(ct);

        var contacts = new Dictionary<int, Contact>();
        foreach (var (contactId, productId, before, after) in crossings)
        {
            var contact = await ContactAsync(contacts, contactId, ct);
            var product = await db.Products.AsNoTracking().FirstOrDefaultAsync(p => p.Id == productId, ct);
            if (contact is null || product is null) continue;
            // The merge has no event of its own; the product id and time make the de-duplication key unique.
            await EvaluateInterestAsync(contact, product, before, after, settings, -now.Ticks, now, ct);
        }
    }
}
