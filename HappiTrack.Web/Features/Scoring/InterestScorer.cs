using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Tracking;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Scoring;

/// <summary>A subject's product score that went from below the threshold to at or above it.</summary>
/// <param name="ContactId">The contact whose score crossed, or null when the subject is an anonymous visitor.</param>
public sealed record ThresholdCrossing(int? ContactId, int ProductId, double Before, double After);

/// <summary>One event as scored: the contact it counted for (null: its visitor is anonymous) and the crossing it caused.</summary>
public sealed record ScoredEvent(TrackEvent Event, int? ContactId, ThresholdCrossing? Crossing);

/// <param name="MergeCrossings">Crossings caused by merging linked visitors' rows into their contacts' (no event of their own).</param>
/// <param name="Events">Every event of the batch, in the order given.</param>
/// <param name="TouchedContacts">Contacts whose scores or activity this batch changed: their list columns are stale.</param>
public sealed record ScoringResult(
    IReadOnlyList<ThresholdCrossing> MergeCrossings, IReadOnlyList<ScoredEvent> Events, IReadOnlyCollection<int> TouchedContacts);

/// <summary>
/// Applies a batch of stored events to the interest rows: re-keys the rows of visitors that have
/// since been linked to a contact, spends client-sent weight against the visitor's hourly budget,
/// adds decayed weight to the product and its tags, and reports which product scores crossed the
/// given threshold. It only reads and changes tracked rows of the caller's DbContext and never saves:
/// the caller saves them in its write transaction, so the reads and the arithmetic stay outside
/// SQLite's single write lock. What a crossing means is the caller's business.
/// </summary>
public sealed class InterestScorer(AppDbContext db)
{
    /// <summary>At most this many visitor rows are merged per call; the rest wait for the next call.</summary>
    public const int MergeBatchSize = 500;
    private const int PrefetchChunk = 500;

    public Task<ScoringResult> ApplyAsync(
        IReadOnlyList<TrackEvent> events, ScoringSettings settings, double threshold, DateTime now, CancellationToken ct = default) =>
        new Batch(db, settings, threshold).ApplyAsync(events, now, ct);

    /// <summary>The row caches of one call: a score row is loaded (or added) once and updated in place by every event.</summary>
    private sealed class Batch(AppDbContext db, ScoringSettings settings, double threshold)
    {
        private readonly Dictionary<(string, InterestDimension, int), InterestScore> _scores = new();
        private readonly Dictionary<(string, DateTime), ClientBudgetUsage> _budgets = new();
        private readonly HashSet<int> _touchedContacts = [];
        // Subjects and budget windows whose rows were all loaded up front: a key missing from the caches is a new row, not a query.
        private readonly HashSet<string> _prefetchedSubjects = new(StringComparer.Ordinal);
        private readonly HashSet<(string, DateTime)> _prefetchedBudgets = [];

        public async Task<ScoringResult> ApplyAsync(IReadOnlyList<TrackEvent> events, DateTime now, CancellationToken ct)
        {
            var merges = await MergeLinkedVisitorsAsync(now, ct);
            var scored = events.Count == 0 ? [] : await ScoreEventsAsync(events, ct);
            return new ScoringResult(merges, scored, _touchedContacts);
        }

        private async Task<List<ScoredEvent>> ScoreEventsAsync(IReadOnlyList<TrackEvent> events, CancellationToken ct)
        {
            var visitorIds = events.Select(e => e.VisitorId).Distinct().ToList();
            var visitorContacts = await db.Visitors.AsNoTracking().Where(v => visitorIds.Contains(v.Id))
                .ToDictionaryAsync(v => v.Id, v => v.ContactId, ct);
            var productIds = events.Where(e => e.ProductId != null).Select(e => e.ProductId!.Value).Distinct().ToList();
            var products = await db.Products.AsNoTracking().Include(p => p.Tags).Where(p => productIds.Contains(p.Id))
                .ToDictionaryAsync(p => p.Id, ct);
            var existingContacts = await ExistingContactsAsync(events, visitorContacts, ct);
            await PrefetchScoresAsync(events, visitorContacts, ct);
            await PrefetchBudgetsAsync(events, ct);

            var scored = new List<ScoredEvent>(events.Count);
            foreach (var e in events)
            {
                // The visitor's current link wins over the event's copy: events stored before the link still score the contact.
                var contactId = visitorContacts.GetValueOrDefault(e.VisitorId) ?? e.ContactId;
                if (contactId is { } id && !existingContacts.Contains(id)) contactId = null;
                var subject = contactId is { } cid ? Subject.Contact(cid) : Subject.Visitor(e.VisitorId);

                var weight = EventWeights.For(e.Type, e.Source, settings);
                if (weight > 0 && e.Source == EventSource.Client)
                    weight = await SpendClientBudgetAsync(e.VisitorId, e.OccurredAt, weight, ct);

                ThresholdCrossing? crossing = null;
                if (weight != 0 && e.ProductId is { } productId && products.TryGetValue(productId, out var product))
                {
                    var (before, after) = await AddAsync(subject, contactId, e.VisitorId, InterestDimension.Product, productId, weight, e.OccurredAt, ct);
                    foreach (var tag in product.Tags)
                        await AddAsync(subject, contactId, e.VisitorId, InterestDimension.Tag, tag.Id, weight, e.OccurredAt, ct);
                    if (ScoreMath.Crossed(before, after, threshold)) crossing = new ThresholdCrossing(contactId, productId, before, after);
                }
                if (contactId is { } touched) _touchedContacts.Add(touched);
                scored.Add(new ScoredEvent(e, contactId, crossing));
            }
            return scored;
        }

        /// <summary>A link or an event may name a contact that no longer exists; its events score the visitor.</summary>
        private async Task<HashSet<int>> ExistingContactsAsync(IReadOnlyList<TrackEvent> events, Dictionary<string, int?> visitorContacts, CancellationToken ct)
        {
            var ids = events.Select(e => visitorContacts.GetValueOrDefault(e.VisitorId) ?? e.ContactId).OfType<int>().Distinct().ToList();
            var existing = new HashSet<int>();
            foreach (var chunk in ids.Chunk(PrefetchChunk))
                existing.UnionWith(await db.Contacts.Where(c => chunk.Contains(c.Id)).Select(c => c.Id).ToListAsync(ct));
            return existing;
        }

        /// <summary>
        /// Loads every score row of the subjects this batch can touch in a few queries, instead of one
        /// query per (subject, dimension, target): the per-row queries were most of the projector's CPU
        /// and kept SQLite's write lock (and so the tracker's group commit) waiting.
        /// </summary>
        private async Task PrefetchScoresAsync(IReadOnlyList<TrackEvent> events, Dictionary<string, int?> visitorContacts, CancellationToken ct)
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
                // Rows the merge step already holds are the same tracked instances; its entries stay. Rows it
                // merged away are deleted but not yet saved: a query still returns them, and they must not score.
                foreach (var row in rows)
                    if (db.Entry(row).State != EntityState.Deleted) _scores.TryAdd((row.SubjectKey, row.Dimension, row.TargetId), row);
            }
            _prefetchedSubjects.UnionWith(subjects);
        }

        private async Task PrefetchBudgetsAsync(IReadOnlyList<TrackEvent> events, CancellationToken ct)
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

        private async Task<(double Before, double After)> AddAsync(
            string subject, int? contactId, string visitorId, InterestDimension dimension, int targetId, double weight, DateTime at, CancellationToken ct)
        {
            var row = await ScoreRowAsync(subject, contactId, contactId is null ? visitorId : null, dimension, targetId, ct);
            var halfLife = settings.HalfLife;
            var before = row.Value.ValueAt(at, halfLife);
            var updated = row.Value.Add(weight, at, halfLife);
            row.Score = updated.Value;
            row.AsOf = updated.AsOf;
            return (before, updated.ValueAt(at, halfLife));
        }

        private async Task<InterestScore> ScoreRowAsync(
            string subject, int? contactId, string? visitorId, InterestDimension dimension, int targetId, CancellationToken ct)
        {
            var key = (subject, dimension, targetId);
            if (_scores.TryGetValue(key, out var row)) return row;
            if (!_prefetchedSubjects.Contains(subject))
                row = await db.Set<InterestScore>().FirstOrDefaultAsync(s => s.SubjectKey == subject && s.Dimension == dimension && s.TargetId == targetId, ct);
            if (row is null || db.Entry(row).State == EntityState.Deleted)
            {
                row = new InterestScore { SubjectKey = subject, ContactId = contactId, VisitorId = visitorId, Dimension = dimension, TargetId = targetId, AsOf = DateTime.MinValue };
                db.Add(row);
            }
            _scores[key] = row;
            return row;
        }

        private async Task<double> SpendClientBudgetAsync(string visitorId, DateTime at, double weight, CancellationToken ct)
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

        /// <summary>
        /// Re-key on link: interest rows of visitors that a tracked link has since tied to a contact are
        /// merged into the contact's rows (both decayed to a common time) and deleted; a product score
        /// that crosses the threshold by the merge is reported like any other crossing.
        /// </summary>
        private async Task<List<ThresholdCrossing>> MergeLinkedVisitorsAsync(DateTime now, CancellationToken ct)
        {
            var crossings = new List<ThresholdCrossing>();
            var orphans = await db.Set<InterestScore>()
                // IN (linked visitors) lets the database seek the VisitorId index; the former correlated
                // EXISTS scanned every visitor's score row on every batch (15 ms at 10,000 rows on SQLite).
                // "> 0" (ids are positive) rather than "!= null": SQLite uses the ContactId index for a range only.
                .Where(s => s.VisitorId != null && db.Visitors.Where(v => v.ContactId > 0).Select(v => v.Id).Contains(s.VisitorId))
                .OrderBy(s => s.Id)
                .Take(MergeBatchSize)
                .ToListAsync(ct);
            if (orphans.Count == 0) return crossings;
            var orphanVisitors = orphans.Select(o => o.VisitorId!).Distinct().ToList();
            var links = await db.Visitors.AsNoTracking().Where(v => orphanVisitors.Contains(v.Id)).ToDictionaryAsync(v => v.Id, v => v.ContactId!.Value, ct);
            var halfLife = settings.HalfLife;

            foreach (var orphan in orphans)
            {
                var contactId = links[orphan.VisitorId!];
                _touchedContacts.Add(contactId);
                var row = await ScoreRowAsync(Subject.Contact(contactId), contactId, null, orphan.Dimension, orphan.TargetId, ct);
                var before = row.Value.ValueAt(now, halfLife);
                var merged = row.AsOf == DateTime.MinValue ? orphan.Value : row.Value.Merge(orphan.Value, halfLife);
                row.Score = merged.Value;
                row.AsOf = merged.AsOf;
                db.Remove(orphan);
                var after = merged.ValueAt(now, halfLife);
                if (orphan.Dimension == InterestDimension.Product && ScoreMath.Crossed(before, after, threshold))
                    crossings.Add(new ThresholdCrossing(contactId, orphan.TargetId, before, after));
            }
            return crossings;
        }
    }
}
