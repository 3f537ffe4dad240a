using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Tracking;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Analytics;

/// <summary>How big a shop history <see cref="DemoDataGenerator"/> writes.</summary>
public sealed record DemoDataOptions(int Events = 1_000_000, int Visitors = 50_000, int Contacts = 5_000, int Orders = 5_000,
    int Days = 90, int Seed = 42, bool Reset = false)
{
    public static bool TryParse(IReadOnlyList<string> args, out DemoDataOptions options, out string? error)
    {
        options = new DemoDataOptions();
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name == "--reset") { options = options with { Reset = true }; continue; }
            if (i + 1 >= args.Count || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 0)
            {
                error = $"{name} needs a non-negative whole number";
                return false;
            }
            i++;
            switch (name)
            {
                case "--events": options = options with { Events = n }; break;
                case "--visitors": options = options with { Visitors = Math.Max(1, n) }; break;
                case "--contacts": options = options with { Contacts = n }; break;
                case "--orders": options = options with { Orders = n }; break;
                case "--days": options = options with { Days = Math.Clamp(n, 1, 3650) }; break;
                case "--seed": options = options with { Seed = n }; break;
                default: error = $"unknown option {name}"; return false;
            }
        }
        if (options.Contacts > options.Visitors) { error = "--contacts cannot exceed --visitors"; return false; }
        return true;
    }
}

/// <summary>
/// Writes a realistic shop history for demos and benchmarks: visitors with sessions over the last N days,
/// tag preferences that drift over time (pastel rising, gaming fading), abandoned and bought carts,
/// linked contacts and repeat (VIP) buyers. Raw prepared multi-row INSERTs in large transactions, because
/// EF change tracking would take minutes for a million rows.
/// </summary>
public sealed class DemoDataGenerator(AppDbContext db, ShopCalendar calendar, RollupService rollups, TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<AttributionOptions> attribution)
{
    private const int RowsPerInsert = 200;
    private const int RowsPerTransaction = 100_000;

    private sealed record Item(int Id, string Slug, long PriceCents, string Aesthetic);

    private sealed class VisitorPlan
    {
        public required string Id;
        public int? ContactId;
        public DateTime FirstSeen;
        public DateTime LastSeen;
        public required string Aesthetic;
    }

    private readonly record struct Ev(string Type, string VisitorId, int? ContactId, int? ProductId, int Source, DateTime At, string? Path, string? Data);

    public async Task RunAsync(DemoDataOptions o, TextWriter log, CancellationToken ct = default)
    {
        if (!db.Database.IsSqlite()) throw new InvalidOperationException("seed-demo writes SQLite databases only.");
        var total = Stopwatch.StartNew();
        var rng = new Random(o.Seed);
        var conn = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            if (await ScalarAsync(conn, "SELECT COUNT(*) FROM \"Events\"", ct) > 0)
            {
                if (!o.Reset) throw new InvalidOperationException("The database already has events; pass --reset to replace the demo history.");
                log.WriteLine("Deleting the existing history...");
                foreach (var table in new[] { "AnalyticsVisitorDays", "AnalyticsProductDays", "AnalyticsHeatmapDays", "AnalyticsCartAddDays", "AnalyticsRollupState", "Events", "OrderLine", "Orders",
                             db.Model.FindEntityType(typeof(Nudge))!.GetTableName()!, "CartLines", "Carts", "Visitors", "Contacts" })
                    await ExecAsync(conn, $"DELETE FROM \"{table}\"", ct);
                // Real campaigns stay (their messages went with the contacts); the invented ones go.
                await db.Set<Campaign>().Where(c => c.IsDemo).ExecuteDeleteAsync(ct);
            }

            var items = await db.Products.AsNoTracking()
                .Select(p => new { p.Id, p.Slug, p.PriceCents, Aesthetic = p.Tags.Where(t => t.Kind == Catalog.TagKind.Aesthetic).Select(t => t.Slug).FirstOrDefault() })
                .ToListAsync(ct);
            var catalog = items.Select(i => new Item(i.Id, i.Slug, i.PriceCents, i.Aesthetic ?? "classic")).ToArray();
            if (catalog.Length == 0) throw new InvalidOperationException("The catalog is empty; start the app once to seed it.");
            var aesthetics = catalog.Select(i => i.Aesthetic).Distinct().OrderBy(a => a, StringComparer.Ordinal).ToArray();

            var today = calendar.Today;
            var firstDay = today.AddDays(1 - o.Days);
            var now = clock.GetUtcNow().UtcDateTime;
            var dayWeights = Enumerable.Range(0, o.Days).Select(d =>
            {
                var date = firstDay.AddDays(d);
                var weekend = date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? 1.3 : 1.0;
                return weekend * (0.7 + 0.6 * d / Math.Max(1, o.Days - 1));
            }).ToArray();
            var cumulative = Cumulative(dayWeights);

            DateTime RandomMoment(DateOnly day)
            {
                var start = calendar.StartUtc(day);
                var end = day == today ? now : calendar.StartUtc(day.AddDays(1));
                var span = Math.Max(1, (end - start).Ticks);
                return start.AddTicks((long)(rng.NextDouble() * span));
            }

            // Visitors and their taste; the favourite aesthetic drifts: pastel gains, gaming fades over the period.
            log.WriteLine($"Planning {o.Visitors:N0} visitors, {o.Contacts:N0} contacts, {o.Orders:N0} orders, {o.Events:N0} events over {o.Days} days...");
            var visitors = new VisitorPlan[o.Visitors];
            for (var i = 0; i < visitors.Length; i++)
            {
                var dayIndex = Pick(cumulative, rng);
                var progress = (double)dayIndex / Math.Max(1, o.Days - 1);
                var taste = aesthetics.Select(a => a switch
                {
                    "pastel" => 0.5 + 1.5 * progress,
                    "gaming" => 1.8 - 1.2 * progress,
                    _ => 1.0,
                }).ToArray();
                var at = RandomMoment(firstDay.AddDays(dayIndex));
                visitors[i] = new VisitorPlan { Id = NewId(rng), FirstSeen = at, LastSeen = at, Aesthetic = aesthetics[Pick(Cumulative(taste), rng)] };
            }

            var events = new List<Ev>(o.Events + 1000);
            Item Favourite(VisitorPlan v)
            {
                var liked = catalog.Where(c => c.Aesthetic == v.Aesthetic).ToArray();
                return rng.NextDouble() < 0.7 && liked.Length > 0 ? liked[rng.Next(liked.Length)] : catalog[rng.Next(catalog.Length)];
            }

            // Orders first: they drive the add-to-cart, checkout and purchase events of buyers.
            var contactVisitors = visitors.OrderBy(_ => rng.Next()).Take(o.Contacts).ToArray();
            var contactIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < contactVisitors.Length; i++) contactIndex[contactVisitors[i].Id] = i;
            var orders = new List<(VisitorPlan Visitor, DateTime At, List<(Item Item, int Qty)> Lines)>(o.Orders);
            for (var i = 0; i < o.Orders; i++)
            {
                // Contacts buy more often, and a few of them again and again (they become VIPs).
                var v = contactVisitors.Length > 0 && rng.NextDouble() < 0.55
                    ? contactVisitors[rng.NextDouble() < 0.3 ? rng.Next(Math.Max(1, contactVisitors.Length / 20)) : rng.Next(contactVisitors.Length)]
                    : visitors[rng.Next(visitors.Length)];
                var day = calendar.DayOf(v.FirstSeen).AddDays(rng.Next(0, 5));
                if (day > today) day = today;
                var at = day == calendar.DayOf(v.FirstSeen) ? v.FirstSeen.AddMinutes(rng.Next(2, 40)) : RandomMoment(day);
                if (at > now) at = now;
                var lines = new List<(Item, int)> { (Favourite(v), 1) };
                if (rng.NextDouble() < 0.3) lines.Add((catalog[rng.Next(catalog.Length)], rng.Next(1, 3)));
                lines = lines.DistinctBy(l => l.Item1.Id).ToList();
                orders.Add((v, at, lines));
                foreach (var (item, _) in lines)
                {
                    events.Add(new Ev(EventTypes.ProductView, v.Id, null, item.Id, 0, at.AddMinutes(-6), "/product/" + item.Slug, null));
                    events.Add(new Ev(EventTypes.AddToCart, v.Id, null, item.Id, 1, at.AddMinutes(-5), "/product/" + item.Slug, "{\"qty\":1}"));
                }
                events.Add(new Ev(EventTypes.Checkout, v.Id, null, null, 1, at.AddMinutes(-2), "/checkout", null));
                foreach (var (item, qty) in lines)
                    events.Add(new Ev(EventTypes.Purchase, v.Id, null, item.Id, 1, at, "/checkout", $"{{\"qty\":{qty},\"cents\":{item.PriceCents * qty}}}"));
                if (at > v.LastSeen) v.LastSeen = at;
            }

            // Browsing sessions fill the remaining budget; some end with an abandoned cart.
            var perVisitor = Math.Max(1, (o.Events - events.Count) / Math.Max(1, visitors.Length));
            var cursor = 0;
            while (events.Count < o.Events)
            {
                var v = visitors[cursor++ % visitors.Length];
                var sessionDay = calendar.DayOf(v.FirstSeen).AddDays(cursor <= visitors.Length ? 0 : rng.Next(0, 21));
                if (sessionDay > today) sessionDay = today;
                var t = cursor <= visitors.Length ? v.FirstSeen : RandomMoment(sessionDay);
                var budget = Math.Min(o.Events - events.Count, Math.Max(3, (int)(perVisitor * (0.5 + rng.NextDouble()))));
                Session(v, t, budget);
            }

            void Session(VisitorPlan v, DateTime t, int budget)
            {
                var end = events.Count + budget;
                void Add(string type, int? productId, string path, string? data, int source = 0)
                {
                    if (events.Count >= end) return;
                    t = t.AddSeconds(rng.Next(2, 40));
                    if (t > now) t = now;
                    events.Add(new Ev(type, v.Id, null, productId, source, t, path, data));
                    if (t > v.LastSeen) v.LastSeen = t;
                }
                Add(EventTypes.PageView, null, "/", "{\"ref\":\"" + (rng.NextDouble() < 0.5 ? "google.com" : "instagram.com") + "\"}");
                while (events.Count < end)
                {
                    var roll = rng.NextDouble();
                    if (roll < 0.42) Add(EventTypes.Mouse, null, rng.NextDouble() < 0.4 ? "/" : "/product/" + Favourite(v).Slug, MouseCells(rng));
                    else if (roll < 0.62)
                    {
                        var item = Favourite(v);
                        Add(EventTypes.PageView, null, "/product/" + item.Slug, null);
                        Add(EventTypes.ProductView, item.Id, "/product/" + item.Slug, null);
                        if (rng.NextDouble() < 0.35) Add(EventTypes.LingerSpecs, item.Id, "/product/" + item.Slug, $"{{\"ms\":{rng.Next(3000, 20000)}}}");
                        if (rng.NextDouble() < 0.05) Add(EventTypes.AddToCart, item.Id, "/product/" + item.Slug, "{\"qty\":1}", 1);
                        if (rng.NextDouble() < 0.01) Add(EventTypes.Checkout, null, "/checkout", null, 1);
                    }
                    else if (roll < 0.74) Add(EventTypes.Click, rng.NextDouble() < 0.5 ? Favourite(v).Id : null, "/", "{\"label\":\"nav\"}");
                    else if (roll < 0.88) Add(EventTypes.ScrollDepth, null, "/", $"{{\"percent\":{rng.Next(10, 101)}}}");
                    else if (roll < 0.92) Add(EventTypes.ExitIntent, null, "/", $"{{\"ms\":{rng.Next(1000, 90000)}}}");
                    else Add(EventTypes.PageView, null, "/", null);
                }
            }

            log.WriteLine($"Planned {events.Count:N0} events in {total.Elapsed.TotalSeconds:0.0} s; writing...");
            await WriteContactsAndVisitorsAsync(conn, visitors, contactVisitors, orders.GroupBy(x => x.Visitor.Id).ToDictionary(g => g.Key, g => g.Count()), rng, ct);
            var contactIds = new Dictionary<string, int>(StringComparer.Ordinal);
            await using (var cmd = conn.CreateCommand())
            {
                cmd.CommandText = "SELECT \"Id\", \"ContactId\" FROM \"Visitors\" WHERE \"ContactId\" IS NOT NULL";
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) contactIds[reader.GetString(0)] = reader.GetInt32(1);
            }
            var demoCampaigns = await AddDemoCampaignsAsync(now, o.Days, ct);
            var attributed = await WriteNudgesAsync(conn, orders, contactVisitors, catalog, demoCampaigns, new Random(o.Seed + 2), new Random(o.Seed + 1), new Random(o.Seed + 3), now,
                TimeSpan.FromDays(attribution.Value.WindowDays), ct);
            await CountDemoCampaignsAsync(ct);
            await WriteOrdersAsync(conn, orders, contactIds, attributed, rng, ct);
            log.WriteLine($"Contacts, visitors and orders written at {total.Elapsed.TotalSeconds:0.0} s");
            events.Sort((a, b) => a.At.CompareTo(b.At));
            await WriteEventsAsync(conn, events, contactIds, log, total, ct);
            log.WriteLine($"Events written at {total.Elapsed.TotalSeconds:0.0} s; building the daily roll-ups...");
            await ExecAsync(conn, "ANALYZE", ct);
            var days = await rollups.RefreshChangedDaysAsync(ct);
            log.WriteLine($"Done: {days} roll-up days in {total.Elapsed.TotalSeconds:0.0} s total.");
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task WriteContactsAndVisitorsAsync(DbConnection conn, VisitorPlan[] visitors, VisitorPlan[] contactVisitors,
        Dictionary<string, int> ordersPerVisitor, Random rng, CancellationToken ct)
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        string[] names = ["Amina", "Jonas", "Lea", "Mehmet", "Sofia", "Lukas", "Mia", "Noah", "Emma", "Elias", "Hannah", "Ben"];
        await using (var insert = new BatchInsert(conn, tx, "Contacts",
            ["Phone", "Name", "LinkToken", "CreatedAt", "OptedIn", "OptedInAt", "OptInSource", "OptedOut", "VipStatus", "VipSince", "LastSeenAt",
             "InterestScore", "Purchases", "MostDesiredScore"]))
        {
            for (var i = 0; i < contactVisitors.Length; i++)
            {
                var v = contactVisitors[i];
                var optedIn = rng.NextDouble() < 0.8;
                var vip = ordersPerVisitor.GetValueOrDefault(v.Id) >= 3;
                await insert.AddAsync(ct,
                    $"+49151{10_000_000 + i:D8}", names[i % names.Length], NewId(rng), v.FirstSeen, optedIn,
                    optedIn ? v.FirstSeen : null, optedIn ? "whatsapp" : null, false, vip, vip ? v.LastSeen : null, v.LastSeen,
                    // The CRM's summary columns are rebuilt by the projector once it sees these contacts' events.
                    0.0, ordersPerVisitor.GetValueOrDefault(v.Id), 0.0);
            }
        }
        var contactIdByPhoneIndex = new List<int>();
        await using (var cmd = conn.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "SELECT \"Id\" FROM \"Contacts\" WHERE \"Phone\" LIKE '+49151%' ORDER BY \"Phone\"";
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) contactIdByPhoneIndex.Add(reader.GetInt32(0));
        }
        for (var i = 0; i < contactVisitors.Length && i < contactIdByPhoneIndex.Count; i++) contactVisitors[i].ContactId = contactIdByPhoneIndex[i];

        await using (var insert = new BatchInsert(conn, tx, "Visitors", ["Id", "FirstSeenAt", "LastSeenAt", "ContactId", "LinkedAt"]))
        {
            foreach (var v in visitors)
                await insert.AddAsync(ct, v.Id, v.FirstSeen, v.LastSeen, v.ContactId, v.ContactId is null ? null : v.FirstSeen);
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// The planted experiment (issue 19): the conversion probability of a contact in a rule's or campaign's treated arm
    /// and in its held-out arm, within the attribution window after the nudge. Cart rescue lifts conversion by 6 points,
    /// the VIP upgrade by 2, campaigns by 1, the interest discount by nothing (it only hands out discounts to people who
    /// would have bought anyway). The lift section must find these: rescue clearly, the others within their intervals.
    /// Orders that the rest of the history places by chance inside a window add the same noise to both arms.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, (double HeldOutRate, double Lift)> PlantedEffects = new Dictionary<string, (double, double)>
    {
        [NudgeKinds.CartRescue] = (0.08, 0.06),
        [NudgeKinds.VipUpgrade] = (0.05, 0.02),
        [NudgeKinds.InterestDiscount] = (0.04, 0.00),
        [NudgeKinds.Campaign] = (0.02, 0.01),
    };

    /// <summary>
    /// The demo's holdout: twice the rules' production default (10 %), so that a 5,000-contact demo has control groups
    /// large enough to show the rescue's 6 points clearly; the demo campaigns use it too.
    /// </summary>
    public const int DemoHoldoutPercent = 20;

    /// <summary>Share of the contacts each rule (and each demo campaign) nudges once in the period.</summary>
    private static readonly (string Kind, double Share)[] Exposure =
        [(NudgeKinds.CartRescue, 0.8), (NudgeKinds.InterestDiscount, 0.5), (NudgeKinds.VipUpgrade, 0.15)];
    private const double CampaignShare = 0.12;

    /// <summary>
    /// The nudges as a randomised experiment. Each rule nudges a random share of the contacts once (and each demo campaign
    /// too), so a contact's outcome belongs to one nudge; <see cref="DemoHoldoutPercent"/> % of the opted-in ones are held out.
    /// Whether a contact orders within the window is drawn from <see cref="PlantedEffects"/>; such an order is added to
    /// <paramref name="orders"/> and, when the treated contact clicked first (70 %), attributed to the nudge. Contacts
    /// without consent get the suppressed rows the guards would write; a few contacts are held back by the cap (in no arm).
    /// Nudges are created at least a window before now, so every window is complete. The draws come from
    /// <paramref name="experiment"/> alone, so the planted arms do not depend on the calendar. Returns the nudge each order is attributed to, by order index.
    /// </summary>
    /// <param name="receipts">Draws the delivery and read receipts apart from the other generators, so the rest of the history stays the same for a seed.</param>
    /// <param name="recentDraws">Draws the recent week (<see cref="WriteRecentActivityAsync"/>) apart from the experiment, whose arms stay as they were.</param>
    private async Task<Dictionary<int, int>> WriteNudgesAsync(DbConnection conn, List<(VisitorPlan Visitor, DateTime At, List<(Item Item, int Qty)> Lines)> orders,
        VisitorPlan[] contactVisitors, Item[] catalog, IReadOnlyList<(int Id, DateTime StartedAt)> campaigns, Random experiment, Random receipts,
        Random recentDraws, DateTime now, TimeSpan window, CancellationToken ct)
    {
        // The guards never let a message reach a contact without consent, so the invented history must not either.
        var optedIn = (await db.Contacts.AsNoTracking().Where(c => c.OptedIn && !c.OptedOut).Select(c => c.Id).ToListAsync(ct)).ToHashSet();
        var table = db.Model.FindEntityType(typeof(Nudge))!.GetTableName()!;
        var attributed = new Dictionary<int, int>();
        var visitorOf = contactVisitors.Where(v => v.ContactId is not null).ToDictionary(v => v.ContactId!.Value);
        var contacts = visitorOf.Keys.Order().ToArray();
        if (contacts.Length == 0) return attributed;
        var latest = now - window - TimeSpan.FromHours(1);
        var earliest = orders.Count > 0 ? Min(orders.Min(o => o.At), latest.AddDays(-1)) : latest.AddDays(-30);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var nextId = await ScalarAsync(conn, $"SELECT COALESCE(MAX(\"Id\"), 0) FROM \"{table}\"", ct, tx) + 1;
        await using (var insert = new BatchInsert(conn, tx, table,
            ["Id", "ContactId", "Kind", "Status", "DedupKey", "Code", "Message", "Link", "CampaignId", "CreatedAt", "SendAfter", "SentAt", "ClickedAt", "Attempts", "RevenueCents",
             "DeliveryStatus", "DeliveredAt", "ReadAt", "Reason"]))
        {
            async Task Episode(int contact, string kind, int? campaignId, DateTime created)
            {
                var code = NewId(experiment)[..16];
                string status, reason;
                var heldOut = false;
                if (!optedIn.Contains(contact)) (status, reason) = (NudgeStatuses.Suppressed, GuardReasons.NoOptIn);
                else if (experiment.NextDouble() < 0.03) (status, reason) = (NudgeStatuses.Suppressed, GuardReasons.Capped);
                else
                {
                    heldOut = experiment.NextDouble() < DemoHoldoutPercent / 100.0;
                    (status, reason) = heldOut ? (NudgeStatuses.HeldOut, HoldoutReasons.Holdout) : (NudgeStatuses.Sent, null!);
                }
                var id = nextId++;
                DateTime? clicked = null;
                if (status is NudgeStatuses.Sent or NudgeStatuses.HeldOut)
                {
                    var (baseRate, lift) = PlantedEffects[kind];
                    var converts = experiment.NextDouble() < baseRate + (heldOut ? 0 : lift);
                    var placedAt = created.AddMinutes(10) + (window - TimeSpan.FromMinutes(20)) * experiment.NextDouble();
                    var clickedFirst = experiment.NextDouble() < 0.7;
                    var product = catalog[experiment.Next(catalog.Length)];
                    if (converts)
                    {
                        orders.Add((visitorOf[contact], placedAt, [(product, 1)]));
                        if (!heldOut && clickedFirst)
                        {
                            clicked = created + (placedAt - created) / 2;
                            attributed[orders.Count - 1] = (int)id;
                        }
                    }
                    else if (!heldOut && experiment.NextDouble() < 0.1) clicked = created.AddHours(1);
                }
                DateTime? sent = status == NudgeStatuses.Sent ? created.AddMinutes(2) : null;
                // Most sent messages are delivered; a clicked one was read unless its reader turned receipts off.
                var roll = receipts.NextDouble();
                DateTime? delivered = sent is not null && (clicked is not null || roll < 0.93) ? sent.Value.AddSeconds(5) : null;
                DateTime? read = delivered is not null && (clicked is not null ? roll < 0.9 : roll < 0.55)
                    ? Min(clicked?.AddMinutes(-1) ?? delivered.Value.AddMinutes(30 + receipts.Next(600)), now) : null;
                if (read < delivered) read = delivered;
                await insert.AddAsync(ct, id, contact, kind, status, $"demo:{code}", code, "Hi! Something you liked is waiting for you.",
                    $"http://localhost/r/{code}", campaignId, created, created, sent, clicked, sent is null ? 0 : 1,
                    // Analytics sums attributed revenue from the orders themselves; the nudge's own total starts at zero.
                    0L, read is not null ? DeliveryStatuses.Read : delivered is not null ? DeliveryStatuses.Delivered : null, delivered, read, reason);
            }

            DateTime Moment() => earliest.AddTicks((long)(experiment.NextDouble() * (latest - earliest).Ticks));
            int[] Pick(double share) => contacts.OrderBy(_ => experiment.Next()).Take((int)Math.Round(contacts.Length * share)).Order().ToArray();
            foreach (var (kind, share) in Exposure)
                foreach (var contact in Pick(share))
                    await Episode(contact, kind, null, Moment());
            foreach (var (campaignId, startedAt) in campaigns)
                foreach (var contact in Pick(CampaignShare))
                    await Episode(contact, NudgeKinds.Campaign, campaignId, Min(startedAt, latest).AddMinutes(experiment.Next(0, 30)));
        }
        var inExperiment = new HashSet<int>();
        await using (var cmd = conn.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = $"SELECT DISTINCT \"ContactId\" FROM \"{table}\"";
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) inExperiment.Add(reader.GetInt32(0));
        }
        var recent = contacts.Where(c => optedIn.Contains(c) && !inExperiment.Contains(c)).ToArray();
        await WriteRecentActivityAsync(conn, tx, table, nextId, recent, visitorOf, orders, attributed, catalog, recentDraws, now, ct);
        await tx.CommitAsync(ct);
        return attributed;
    }

    /// <summary>At most this many contacts get a message in the recent week: enough to fill the dashboard, not to weigh in the lift.</summary>
    private const int RecentContacts = 60;

    /// <summary>Added to both arms' conversion rate in the recent week (see <see cref="WriteRecentActivityAsync"/>).</summary>
    private const double RecentExtraRate = 0.25;

    private enum RecentRole { Sent, HeldOut, CapHeld, Dead }

    /// <summary>Each recent contact's fate, in turn: mostly sent, the demo's holdout share held out, a few held by the cap or dead-lettered.</summary>
    private static readonly RecentRole[] RecentRoles =
    [
        RecentRole.Sent, RecentRole.Sent, RecentRole.HeldOut, RecentRole.Sent, RecentRole.CapHeld, RecentRole.Sent, RecentRole.Sent,
        RecentRole.HeldOut, RecentRole.Sent, RecentRole.Dead, RecentRole.Sent, RecentRole.Sent,
    ];

    /// <summary>
    /// The last 7 shop days and today, so the admin dashboard's period tiles show a working shop (issue 19 put every
    /// experiment nudge a whole attribution window back). Only opted-in contacts the experiment never nudged get these
    /// messages, and only they place the orders credited to them, so no experiment contact's outcome (its orders within
    /// its windows) changes; their own windows are still open, as in a live shop's last week. Every row is finished
    /// (sent, held out, held by the cap, dead-lettered): the outbox sends any due waiting or failed nudge whose guards
    /// pass, even one past its <c>ExpiresAt</c>, so an invented waiting message would really go out.
    /// </summary>
    private async Task WriteRecentActivityAsync(DbConnection conn, DbTransaction tx, string table, long nextId, int[] candidates,
        Dictionary<int, VisitorPlan> visitorOf, List<(VisitorPlan Visitor, DateTime At, List<(Item Item, int Qty)> Lines)> orders,
        Dictionary<int, int> attributed, Item[] catalog, Random draws, DateTime now, CancellationToken ct)
    {
        var chosen = candidates.OrderBy(_ => draws.Next()).Take(RecentContacts).ToArray();
        if (chosen.Length == 0) return;
        var today = calendar.Today;
        // No VIP upgrades: theirs is the experiment's smallest arm, which a few more contacts with open windows would move most.
        string[] kinds = [NudgeKinds.CartRescue, NudgeKinds.InterestDiscount];
        await using var insert = new BatchInsert(conn, tx, table,
            ["Id", "ContactId", "Kind", "Status", "DedupKey", "Code", "Message", "Link", "CreatedAt", "SendAfter", "SentAt", "ClickedAt",
             "Attempts", "LastError", "FailedAt", "RevenueCents", "DeliveryStatus", "DeliveredAt", "ReadAt", "Reason"]);
        for (var i = 0; i < chosen.Length; i++)
        {
            var contact = chosen[i];
            // A third today, the rest spread over the six days before.
            var day = i % 3 == 0 ? today : today.AddDays(-1 - draws.Next(6));
            var dayStart = calendar.StartUtc(day);
            var dayEnd = day == today ? now : calendar.StartUtc(day.AddDays(1));
            // The first half of the day (or of today so far) leaves room for the send, the click and the order before now.
            var created = dayStart + (dayEnd - dayStart) * (0.05 + 0.5 * draws.NextDouble());
            var kind = kinds[draws.Next(kinds.Length)];
            var code = NewId(draws)[..16];
            var id = nextId++;
            string status;
            string? reason = null, lastError = null, deliveryStatus = null;
            DateTime? sent = null, clicked = null, failedAt = null, delivered = null, read = null;
            var attempts = 0;
            var role = RecentRoles[i % RecentRoles.Length];
            switch (role)
            {
                case RecentRole.Sent:
                    status = NudgeStatuses.Sent;
                    sent = created.AddMinutes(2);
                    attempts = 1;
                    delivered = sent.Value.AddSeconds(5);
                    deliveryStatus = DeliveryStatuses.Delivered;
                    break;
                case RecentRole.HeldOut:
                    (status, reason) = (NudgeStatuses.HeldOut, HoldoutReasons.Holdout);
                    break;
                case RecentRole.CapHeld:
                    (status, reason) = (NudgeStatuses.Suppressed, GuardReasons.Capped);
                    break;
                default:
                    (status, attempts, lastError, failedAt) = (NudgeStatuses.Dead, 5, "HTTP 503 from WhatsApp (demo)", created.AddMinutes(40));
                    break;
            }
            // The experiment's planted lift (only for a message that arrived) on top of a higher rate in both arms (these
            // contacts are this week's shoppers): the arms still differ by the planted points, so the lift section's points
            // are not pulled, while a modest week still shows credited orders. A capped one is in no arm.
            if (role != RecentRole.CapHeld)
            {
                var (baseRate, lift) = PlantedEffects[kind];
                var converts = draws.NextDouble() < baseRate + RecentExtraRate + (role == RecentRole.Sent ? lift : 0);
                var clickedFirst = draws.NextDouble() < 0.7;
                var placedAt = created.AddMinutes(10) + (now - created - TimeSpan.FromMinutes(10)) * (0.2 + 0.7 * draws.NextDouble());
                if (converts && placedAt < now)
                {
                    orders.Add((visitorOf[contact], placedAt, [(catalog[draws.Next(catalog.Length)], 1)]));
                    if (role == RecentRole.Sent && clickedFirst)
                    {
                        clicked = created + (placedAt - created) / 2;
                        attributed[orders.Count - 1] = (int)id;
                    }
                }
                // Clicks are no outcome of the lift, so the first (today's) is always clicked and today's click tile is never empty.
                else if (role == RecentRole.Sent && (i == 0 || draws.NextDouble() < 0.25)) clicked = created + (now - created) * 0.3;
                if (clicked is not null)
                {
                    read = clicked.Value.AddMinutes(-1);
                    deliveryStatus = DeliveryStatuses.Read;
                }
            }
            await insert.AddAsync(ct, id, contact, kind, status, $"demo:{code}", code, "Hi! Something you liked is waiting for you.",
                $"http://localhost/r/{code}", created, created, sent, clicked, attempts, lastError, failedAt, 0L, deliveryStatus, delivered, read, reason);
        }
    }

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;

    /// <summary>
    /// The campaigns the invented campaign messages belong to, as real rows (flagged <see cref="Campaign.IsDemo"/>)
    /// with ids from the table's own sequence, so a campaign made later never inherits their messages.
    /// </summary>
    private async Task<IReadOnlyList<(int Id, DateTime StartedAt)>> AddDemoCampaignsAsync(DateTime now, int days, CancellationToken ct)
    {
        string[] names = ["Spring sale", "New gaming gear", "Back in stock", "VIP evening", "Weekend deals"];
        var campaigns = names.Select((name, i) => new Campaign
        {
            Name = "Demo: " + name,
            Message = "Hi {name}! Something you liked is waiting for you: {link}",
            SegmentJson = "{}",
            CreatedAt = now.AddDays(-days + (i + 1) * days / (names.Length + 1)),
            StartedAt = now.AddDays(-days + (i + 1) * days / (names.Length + 1)),
            CreatedBy = "seed-demo",
            IsDemo = true,
            HoldoutPercent = DemoHoldoutPercent,
        }).ToList();
        db.AddRange(campaigns);
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        return campaigns.Select(c => (c.Id, c.StartedAt!.Value)).ToList();
    }

    /// <summary>The log's summary line reads the stored counts; the list counts the messages themselves.</summary>
    private async Task CountDemoCampaignsAsync(CancellationToken ct)
    {
        var nudges = db.Set<Nudge>();
        await db.Set<Campaign>().Where(c => c.IsDemo).ExecuteUpdateAsync(s => s
            .SetProperty(c => c.Matched, c => nudges.Count(n => n.CampaignId == c.Id))
            .SetProperty(c => c.Queued, c => nudges.Count(n => n.CampaignId == c.Id && n.Status != NudgeStatuses.Suppressed && n.Status != NudgeStatuses.Cancelled && n.Status != NudgeStatuses.HeldOut))
            .SetProperty(c => c.HeldOut, c => nudges.Count(n => n.CampaignId == c.Id && n.Status == NudgeStatuses.HeldOut))
            .SetProperty(c => c.SuppressedNoOptIn, c => nudges.Count(n => n.CampaignId == c.Id && n.Reason == GuardReasons.NoOptIn))
            .SetProperty(c => c.SuppressedCapped, c => nudges.Count(n => n.CampaignId == c.Id && n.Status == NudgeStatuses.Suppressed && n.Reason == GuardReasons.Capped)), ct);
    }

    private static async Task WriteOrdersAsync(DbConnection conn, List<(VisitorPlan Visitor, DateTime At, List<(Item Item, int Qty)> Lines)> orders,
        Dictionary<string, int> contactIds, Dictionary<int, int> attributed, Random rng, CancellationToken ct)
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        var firstId = await ScalarAsync(conn, "SELECT COALESCE(MAX(\"Id\"), 0) FROM \"Orders\"", ct, tx) + 1;
        await using (var insert = new BatchInsert(conn, tx, "Orders",
            ["Id", "PublicId", "VisitorId", "ContactId", "CustomerName", "Phone", "WhatsAppOptIn", "SubtotalCents", "DiscountCents", "TotalCents", "PlacedAt", "AttributedNudgeId"]))
        {
            for (var i = 0; i < orders.Count; i++)
            {
                var (v, at, lines) = orders[i];
                var subtotal = lines.Sum(l => l.Item.PriceCents * l.Qty);
                await insert.AddAsync(ct, firstId + i, NewId(rng), v.Id, contactIds.TryGetValue(v.Id, out var c) ? c : null,
                    "Demo shopper", "+4915100000000", false, subtotal, 0L, subtotal, at, attributed.TryGetValue(i, out var n) ? n : null);
            }
        }
        await using (var insert = new BatchInsert(conn, tx, "OrderLine",
            ["OrderId", "ProductId", "ProductSlug", "ProductName", "UnitPriceCents", "Quantity", "LineTotalCents"]))
        {
            for (var i = 0; i < orders.Count; i++)
                foreach (var (item, qty) in orders[i].Lines)
                    await insert.AddAsync(ct, firstId + i, item.Id, item.Slug, item.Slug, item.PriceCents, qty, item.PriceCents * qty);
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// Loads with the event indexes dropped and rebuilds them afterwards (same SQL, from the schema):
    /// one sorted index build is many times faster than a million random index inserts.
    /// </summary>
    private static async Task WriteEventsAsync(DbConnection conn, List<Ev> events, Dictionary<string, int> contactIds,
        TextWriter log, Stopwatch total, CancellationToken ct)
    {
        var indexes = new List<(string Name, string Sql)>();
        await using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'Events' AND sql IS NOT NULL";
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) indexes.Add((reader.GetString(0), reader.GetString(1)));
        }
        await ExecAsync(conn, "PRAGMA cache_size = -262144", ct);
        foreach (var (name, _) in indexes) await ExecAsync(conn, $"DROP INDEX \"{name}\"", ct);
        try
        {
            await InsertEventsAsync(conn, events, contactIds, log, total, ct);
        }
        finally
        {
            foreach (var (_, sql) in indexes) await ExecAsync(conn, sql, CancellationToken.None);
            log.WriteLine($"  {indexes.Count} event indexes rebuilt ({total.Elapsed.TotalSeconds:0.0} s)");
        }
    }

    private static async Task InsertEventsAsync(DbConnection conn, List<Ev> events, Dictionary<string, int> contactIds,
        TextWriter log, Stopwatch total, CancellationToken ct)
    {
        string[] columns = ["Type", "VisitorId", "ContactId", "ProductId", "Source", "OccurredAt", "ClientTime", "Path", "Data"];
        var written = 0;
        while (written < events.Count)
        {
            await using var tx = await conn.BeginTransactionAsync(ct);
            await using (var insert = new BatchInsert(conn, tx, "Events", columns))
            {
                var stop = Math.Min(events.Count, written + RowsPerTransaction);
                for (; written < stop; written++)
                {
                    var e = events[written];
                    int? contact = contactIds.TryGetValue(e.VisitorId, out var c) ? c : null;
                    await insert.AddAsync(ct, e.Type, e.VisitorId, contact, e.ProductId, e.Source, e.At,
                        e.Source == 0 ? e.At.AddMilliseconds(-350) : null, e.Path, e.Data);
                }
            }
            await tx.CommitAsync(ct);
            log.WriteLine($"  events: {written:N0} / {events.Count:N0} ({total.Elapsed.TotalSeconds:0.0} s)");
        }
    }

    private static string MouseCells(Random rng)
    {
        var sb = new StringBuilder("{\"cells\":[");
        var n = rng.Next(3, 9);
        // Attention clusters around the hero (upper middle) and the first row of cards.
        var (cx, cy) = rng.NextDouble() < 0.6 ? (10, 4) : (rng.Next(2, 18), 11);
        for (var i = 0; i < n; i++)
        {
            if (i > 0) sb.Append(',');
            var x = Math.Clamp(cx + (int)Math.Round(Gaussian(rng) * 3), 0, 19);
            var y = Math.Clamp(cy + (int)Math.Round(Gaussian(rng) * 2.5), 0, 19);
            sb.Append(y * HeatmapGrid.Size + x);
        }
        return sb.Append("]}").ToString();
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static double[] Cumulative(double[] weights)
    {
        var result = new double[weights.Length];
        var sum = 0.0;
        for (var i = 0; i < weights.Length; i++) result[i] = sum += weights[i];
        return result;
    }

    private static int Pick(double[] cumulative, Random rng)
    {
        var target = rng.NextDouble() * cumulative[^1];
        var i = Array.BinarySearch(cumulative, target);
        return Math.Min(i < 0 ? ~i : i, cumulative.Length - 1);
    }

    /// <summary>Like the real cookie: 128 random bits, base64url (the seed only decides the shape of the data, not ids).</summary>
    private static string NewId(Random _) =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static async Task<long> ScalarAsync(DbConnection conn, string sql, CancellationToken ct, DbTransaction? tx = null)
    {
        await using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    private static async Task ExecAsync(DbConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A prepared multi-row INSERT reused for every full batch; the last partial batch gets its own.</summary>
    private sealed class BatchInsert(DbConnection conn, DbTransaction tx, string table, string[] columns) : IAsyncDisposable
    {
        private readonly List<object?[]> _pending = new(RowsPerInsert);
        private DbCommand? _full;

        public async Task AddAsync(CancellationToken ct, params object?[] values)
        {
            _pending.Add(values);
            if (_pending.Count == RowsPerInsert)
            {
                _full ??= await PrepareAsync(RowsPerInsert, ct);
                await FlushAsync(_full, ct);
            }
        }

        private async Task<DbCommand> PrepareAsync(int rows, CancellationToken ct)
        {
            var cmd = conn.CreateCommand();
            cmd.Transaction = tx;
            var sb = new StringBuilder($"INSERT INTO \"{table}\" ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) VALUES ");
            for (var r = 0; r < rows; r++)
            {
                sb.Append(r == 0 ? "(" : ",(");
                for (var c = 0; c < columns.Length; c++)
                {
                    var name = $"@p{r}_{c}";
                    sb.Append(c == 0 ? name : "," + name);
                    var p = cmd.CreateParameter();
                    p.ParameterName = name;
                    cmd.Parameters.Add(p);
                }
                sb.Append(')');
            }
            cmd.CommandText = sb.ToString();
            await cmd.PrepareAsync(ct);
            return cmd;
        }

        private async Task FlushAsync(DbCommand cmd, CancellationToken ct)
        {
            var i = 0;
            foreach (var row in _pending)
                foreach (var value in row)
                    cmd.Parameters[i++].Value = value ?? DBNull.Value;
            await cmd.ExecuteNonQueryAsync(ct);
            _pending.Clear();
        }

        public async ValueTask DisposeAsync()
        {
            if (_pending.Count > 0)
            {
                await using var last = await PrepareAsync(_pending.Count, CancellationToken.None);
                await FlushAsync(last, CancellationToken.None);
            }
            if (_full is not null) await _full.DisposeAsync();
        }
    }
}
