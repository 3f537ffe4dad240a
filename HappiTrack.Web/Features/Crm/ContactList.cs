using System.Linq.Expressions;
using System.Globalization;
using System.Text;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Crm;

/// <summary>
/// A page of the contacts table; <see cref="Sort"/> is e.g. <c>-score</c> (a leading minus sorts descending).
/// <see cref="HasCart"/>: the contact has a browser (a linked visitor) whose cart holds at least one product.
/// <see cref="Site"/>: only the contacts of that site (<see cref="SiteContacts"/>), with that site's purchases, carts and
/// products; the interest score, top tags, VIP, consent and last seen stay the person's, across sites.
/// </summary>
public sealed record ContactListQuery(int Page = 1, int PageSize = 25, string? Search = null, string Sort = ContactList.DefaultSort,
    bool? Vip = null, bool? OptedIn = null, double? MinScore = null, bool? HasCart = null, int? Site = null);

public sealed record ContactListPage(int Page, int PageSize, int Total, string Sort, IReadOnlyList<ContactSummary> Items);

/// <summary>
/// The admin contacts table and <c>GET /api/contacts</c>. Sorts and filters run on indexed,
/// materialised columns of <see cref="Contact"/> (see <see cref="ContactSummaryRefresher"/>); pages are
/// OFFSET over an index walk, which stays in the milliseconds at 100,000 contacts (bench in the
/// tests' output) while keeping "page N of M" that staff ask for. Ties break on id for a stable order.
/// </summary>
public sealed class ContactList(AppDbContext db, RuleSettingsService settingsService, TimeProvider clock)
{
    public const string DefaultSort = "-lastSeen";
    public const int MaxPageSize = 200;
    public const int MaxSearchLength = 100;
    public static readonly IReadOnlyList<string> SortFields = ["lastSeen", "score", "name", "purchases", "vip", "optIn", "id", "phone"];

    public static Dictionary<string, string[]> Validate(ContactListQuery query)
    {
        var errors = new Dictionary<string, string[]>();
        if (query.Page < 1 || query.Page > 1_000_000) errors["page"] = ["page must be between 1 and 1000000."];
        if (query.PageSize < 1 || query.PageSize > MaxPageSize) errors["pageSize"] = [$"pageSize must be between 1 and {MaxPageSize}."];
        if (query.Search is { Length: > MaxSearchLength }) errors["search"] = [$"search must be at most {MaxSearchLength} characters."];
        if (!SortFields.Contains(query.Sort.TrimStart('-'))) errors["sort"] = [$"sort must be one of {string.Join(", ", SortFields)}, optionally prefixed with '-' for descending."];
        if (query.MinScore is { } min && (double.IsNaN(min) || min < 0)) errors["minScore"] = ["minScore must be a number ≥ 0."];
        return errors;
    }

    public async Task<ContactListPage> GetAsync(ContactListQuery query, CancellationToken ct)
    {
        var halfLife = (await settingsService.GetAsync(ct)).Scoring.HalfLife;
        var now = clock.GetUtcNow().UtcDateTime;
        var contacts = Filtered(query, now, halfLife);
        var total = await contacts.CountAsync(ct);
        var site = query.Site;
        var rows = await Ordered(contacts, query.Sort, site).Skip((query.Page - 1) * query.PageSize).Take(query.PageSize)
            .Select(c => new
            {
                c.Id, c.Phone, c.Name, c.InterestScore, c.InterestAsOf, c.TopTags, c.VipStatus, c.OptedIn, c.OptedOut, c.LastSeenAt,
                c.MostDesiredScore,
                Purchases = site == null ? c.Purchases : db.Orders.Count(o => o.SiteId == site && (o.ContactId == c.Id || db.Visitors.Any(v => v.Id == o.VisitorId && v.ContactId == c.Id))),
                Desired = db.Products.Where(p => p.Id == c.MostDesiredProductId && (site == null || p.SiteId == site)).Select(p => new { p.Id, p.Slug, p.Name }).FirstOrDefault(),
            })
            .ToListAsync(ct);
        var items = rows.Select(r => new ContactSummary(
            r.Id, r.Phone, r.Name, ContactRanking.ScoreAt(r.InterestScore, r.InterestAsOf, now, halfLife),
            string.IsNullOrEmpty(r.TopTags) ? [] : r.TopTags.Split(','),
            r.Desired is null ? null : new ScoreDto(r.Desired.Id, r.Desired.Slug, r.Desired.Name, ContactRanking.ScoreAt(r.MostDesiredScore, r.InterestAsOf, now, halfLife)),
            r.Purchases, r.VipStatus, r.OptedIn, r.OptedOut, r.LastSeenAt)).ToList();
        return new ContactListPage(query.Page, query.PageSize, total, query.Sort, items);
    }

    /// <summary>How many contacts the filters of <paramref name="query"/> match (page and sort ignored).</summary>
    public async Task<int> CountAsync(ContactListQuery query, CancellationToken ct)
    {
        var halfLife = (await settingsService.GetAsync(ct)).Scoring.HalfLife;
        return await Filtered(query, clock.GetUtcNow().UtcDateTime, halfLife).CountAsync(ct);
    }

    public static readonly IReadOnlyList<string> CsvColumns =
        ["Id", "Name", "Phone", "Interest score", "Purchases", "VIP", "Opt-in", "Has cart", "Most desired product", "Top tags", "Last seen (UTC)"];

    /// <summary>
    /// Every contact the filters match (not only one page), in the list's order, as CSV. Rows are streamed from
    /// one query in chunks, so 100,000 contacts are never held in memory at once; cells are formula-safe (<see cref="Csv"/>).
    /// </summary>
    /// <returns>The number of rows written.</returns>
    public async Task<int> WriteCsvAsync(ContactListQuery query, Stream output, CancellationToken ct)
    {
        var halfLife = (await settingsService.GetAsync(ct)).Scoring.HalfLife;
        var now = clock.GetUtcNow().UtcDateTime;
        var site = query.Site;
        var rows = Ordered(Filtered(query, now, halfLife), query.Sort, site)
            .Select(c => new
            {
                c.Id, c.Phone, c.Name, c.InterestScore, c.InterestAsOf, c.TopTags, c.VipStatus, c.OptedIn, c.OptedOut, c.LastSeenAt,
                Purchases = site == null ? c.Purchases : db.Orders.Count(o => o.SiteId == site && (o.ContactId == c.Id || db.Visitors.Any(v => v.Id == o.VisitorId && v.ContactId == c.Id))),
                HasCart = db.Visitors.Any(v => v.ContactId == c.Id && (site == null || v.SiteId == site) && db.Carts.Any(cart => cart.VisitorId == v.Id && cart.Lines.Any())),
                Desired = db.Products.Where(p => p.Id == c.MostDesiredProductId && (site == null || p.SiteId == site)).Select(p => p.Name).FirstOrDefault(),
            })
            .AsAsyncEnumerable();
        var sb = new StringBuilder();
        Csv.WriteRow(sb, CsvColumns);
        var count = 0;
        await foreach (var r in rows.WithCancellation(ct))
        {
            var score = ContactRanking.ScoreAt(r.InterestScore, r.InterestAsOf, now, halfLife);
            Csv.WriteRow(sb,
            [
                r.Id.ToString(CultureInfo.InvariantCulture), r.Name ?? "", r.Phone, score.ToString("0.##", CultureInfo.InvariantCulture),
                r.Purchases.ToString(CultureInfo.InvariantCulture), r.VipStatus ? "yes" : "no",
                r.OptedOut ? "opted out" : r.OptedIn ? "opted in" : "no opt-in", r.HasCart ? "yes" : "no", r.Desired ?? "",
                (r.TopTags ?? "").Replace(",", ", "), r.LastSeenAt is { } seen ? seen.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "",
            ]);
            count++;
            if (sb.Length > 32_000) await FlushAsync();
        }
        await FlushAsync();
        return count;

        async Task FlushAsync()
        {
            await output.WriteAsync(Encoding.UTF8.GetBytes(sb.ToString()), ct);
            sb.Clear();
        }
    }

    private IQueryable<Contact> Filtered(ContactListQuery query, DateTime now, TimeSpan halfLife)
    {
        var contacts = db.Contacts.AsNoTracking();
        if (query.Site is { } site) contacts = SiteContacts.Of(db, contacts, site);
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var term = query.Search.Trim();
            // LIKE ignores case in SQLite but not in PostgreSQL: compare lower-cased on both.
            var pattern = "%" + EscapeLike(term.ToLowerInvariant()) + "%";
            // Phones are stored as E.164: a term that looks like a phone ("0151 123", "+49 151") is matched on its digits.
            var digits = new string(term.Where(char.IsDigit).ToArray());
            var looksLikePhone = digits.Length >= 3 && term.All(ch => char.IsDigit(ch) || ch is '+' or ' ' or '-' or '(' or ')' or '/');
            var phonePattern = looksLikePhone ? "%" + (digits.TrimStart('0') is { Length: > 0 } national ? national : digits) + "%" : null;
            contacts = contacts.Where(c => EF.Functions.Like(c.Name!.ToLower(), pattern, "\\")
                || (phonePattern != null && EF.Functions.Like(c.Phone, phonePattern)));
        }
        if (query.Vip is { } vip) contacts = contacts.Where(c => c.VipStatus == vip);
        if (query.OptedIn is { } optedIn) contacts = contacts.Where(c => (c.OptedIn && !c.OptedOut) == optedIn);
        if (query.MinScore is > 0)
        {
            var threshold = ContactRanking.RankThreshold(query.MinScore.Value, now, halfLife);
            contacts = contacts.Where(c => c.InterestRank >= threshold);
        }
        if (query.HasCart is { } hasCart)
        {
            var cartSite = query.Site;
            // A plain EXISTS / NOT EXISTS (not "EXISTS(...) = @flag", which PostgreSQL cannot plan as a semi/anti join:
            // 5 s instead of milliseconds at 100,000 contacts), from the contact's visitors by the indexed Visitors.ContactId.
            contacts = hasCart
                ? contacts.Where(c => db.Visitors.Any(v => v.ContactId == c.Id && (cartSite == null || v.SiteId == cartSite) && db.Carts.Any(cart => cart.VisitorId == v.Id && cart.Lines.Any())))
                : contacts.Where(c => !db.Visitors.Any(v => v.ContactId == c.Id && (cartSite == null || v.SiteId == cartSite) && db.Carts.Any(cart => cart.VisitorId == v.Id && cart.Lines.Any())));
        }
        return contacts;
    }

    /// <summary>The list's order, in SQL; every sort but the unique ones ends with id, so OFFSET pages never repeat or skip a row.</summary>
    private IOrderedQueryable<Contact> Ordered(IQueryable<Contact> contacts, string sort, int? site)
    {
        var descending = sort.StartsWith('-');
        // SQLite sorts NULL below every value and PostgreSQL above it; both keep SQLite's order here,
        // so contacts with no interest, name or visit sink to the end of a descending list.
        var nullsSortHigh = !db.Database.IsSqlite();
        IOrderedQueryable<Contact> By<TKey>(Expression<Func<Contact, TKey>> key)
        {
            var keyIsNullable = !key.Body.Type.IsValueType || Nullable.GetUnderlyingType(key.Body.Type) is not null;
            if (!nullsSortHigh || !keyIsNullable)
                return descending ? contacts.OrderByDescending(key) : contacts.OrderBy(key);
            var isNull = Expression.Lambda<Func<Contact, bool>>(
                Expression.Equal(key.Body, Expression.Constant(null, key.Body.Type)), key.Parameters);
            return descending
                ? contacts.OrderBy(isNull).ThenByDescending(key)
                : contacts.OrderByDescending(isNull).ThenBy(key);
        }
        IOrderedQueryable<Contact> ThenById(IOrderedQueryable<Contact> q) => descending ? q.ThenByDescending(c => c.Id) : q.ThenBy(c => c.Id);
        return sort.TrimStart('-') switch
        {
            "score" => ThenById(By(c => c.InterestRank)),
            "name" => ThenById(By(c => c.Name)),
            // In one site's list the column shows that site's orders, so it sorts by them too (not indexed: a site's list is smaller).
            "purchases" when site is { } one => ThenById(By(c => db.Orders.Count(o => o.SiteId == one
                && (o.ContactId == c.Id || db.Visitors.Any(v => v.Id == o.VisitorId && v.ContactId == c.Id))))),
            "purchases" => ThenById(By(c => c.Purchases)),
            "vip" => ThenById(By(c => c.VipStatus)),
            // Opted out < no opt-in < may be messaged: descending puts the contacts one may message first.
            "optIn" => ThenById(By(c => c.OptedOut ? 0 : c.OptedIn ? 2 : 1)),
            "phone" => By(c => c.Phone),
            "id" => By(c => c.Id),
            _ => ThenById(By(c => c.LastSeenAt)),
        };
    }

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}
