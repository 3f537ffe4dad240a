namespace HappiTrack.Web.Features.Analytics;

/// <summary>
/// The few statements EF Core LINQ cannot express well (bit-folding per visitor, INSERT ... SELECT).
/// Plain ANSI SQL with quoted identifiers, so SQLite and PostgreSQL run the same text. A query for one site
/// appends <see cref="SiteFilter"/> with the site as its last parameter; all sites leave it out (no
/// "{n} IS NULL" test: PostgreSQL cannot type a null parameter there).
/// </summary>
internal static class AnalyticsSql
{
    /// <summary>The funnel bits one visitor reached among the events of a GROUP BY "VisitorId".</summary>
    public const string StepsOfGroupedEvents =
        "1" +
        " + MAX(CASE WHEN \"Type\" = 'product_view' THEN 2 ELSE 0 END)" +
        " + MAX(CASE WHEN \"Type\" = 'add_to_cart' THEN 4 ELSE 0 END)" +
        " + MAX(CASE WHEN \"Type\" = 'checkout' THEN 8 ELSE 0 END)" +
        " + MAX(CASE WHEN \"Type\" = 'purchase' THEN 16 ELSE 0 END)";

    /// <summary><c> AND [alias.]"SiteId" = {parameter}</c> for one site, nothing for all sites.</summary>
    public static string SiteFilter(int? site, int parameter, string alias = "") =>
        site is null ? "" : $" AND {alias}\"SiteId\" = {{{parameter}}}";

    /// <summary>The arguments of a query, with the site appended when there is one (it is then <c>{args.Length}</c>).</summary>
    public static object[] WithSite(int? site, params object[] args) => site is { } s ? [.. args, s] : args;

    /// <summary>Parameters {0}, {1}: UTC start (inclusive) and end (exclusive); {2}: the site, if any.</summary>
    public static string RawVisitorSteps(int? site) =>
        "SELECT \"VisitorId\", " + StepsOfGroupedEvents + " AS \"Steps\" FROM \"Events\"" +
        " WHERE \"OccurredAt\" >= {0} AND \"OccurredAt\" < {1}" + SiteFilter(site, 2) + " GROUP BY \"VisitorId\"";

    /// <summary>Parameters {0}, {1}: first and last shop day, inclusive; {2}: the site, if any.</summary>
    public static string RolledUpVisitorSteps(int? site) =>
        "SELECT \"VisitorId\", \"Steps\" FROM \"AnalyticsVisitorDays\" WHERE \"Day\" >= {0} AND \"Day\" <= {1}" + SiteFilter(site, 2);

    /// <summary>
    /// Folds per-visitor (per-day) steps into funnel counts. A funnel step counts visitors who reached it
    /// and every step before it within the range; carts count any add-to-cart, abandoned ones lack a purchase.
    /// </summary>
    public static string Funnel(string visitorSteps) =>
        "SELECT COUNT(*) AS \"Visitors\"," +
        " COALESCE(SUM(CASE WHEN (v.s & 3) = 3 THEN 1 ELSE 0 END), 0) AS \"ProductViewers\"," +
        " COALESCE(SUM(CASE WHEN (v.s & 7) = 7 THEN 1 ELSE 0 END), 0) AS \"CartAdders\"," +
        " COALESCE(SUM(CASE WHEN (v.s & 15) = 15 THEN 1 ELSE 0 END), 0) AS \"CheckoutStarters\"," +
        " COALESCE(SUM(CASE WHEN (v.s & 31) = 31 THEN 1 ELSE 0 END), 0) AS \"Purchasers\"," +
        " COALESCE(SUM(CASE WHEN (v.s & 4) = 4 THEN 1 ELSE 0 END), 0) AS \"Carts\"," +
        " COALESCE(SUM(CASE WHEN (v.s & 20) = 4 THEN 1 ELSE 0 END), 0) AS \"AbandonedCarts\"" +
        " FROM (SELECT f.\"VisitorId\" AS id," +
        " MAX(f.\"Steps\" & 1) + MAX(f.\"Steps\" & 2) + MAX(f.\"Steps\" & 4) + MAX(f.\"Steps\" & 8) + MAX(f.\"Steps\" & 16) AS s" +
        " FROM (" + visitorSteps + ") f GROUP BY f.\"VisitorId\") v";

    /// <summary>
    /// Contacts behind the visitors active in the range, by the visitors' current links, so a visitor linked
    /// after the fact counts in old ranges too. Probes only linked visitors (few) through an index.
    /// </summary>
    public static string LinkedContacts(string activityExists) =>
        "SELECT COUNT(DISTINCT v.\"ContactId\") AS \"Value\" FROM \"Visitors\" v" +
        " WHERE v.\"ContactId\" IS NOT NULL AND EXISTS (" + activityExists + ")";

    /// <summary>Parameters {0}, {1}: first and last shop day; {2}: the site, if any.</summary>
    public static string RolledUpActivity(int? site) =>
        "SELECT 1 FROM \"AnalyticsVisitorDays\" f WHERE f.\"VisitorId\" = v.\"Id\" AND f.\"Day\" >= {0} AND f.\"Day\" <= {1}" + SiteFilter(site, 2, "f.");

    /// <summary>Parameters {0}, {1}: UTC bounds; {2}: the site, if any.</summary>
    public static string RawActivity(int? site) =>
        "SELECT 1 FROM \"Events\" e WHERE e.\"VisitorId\" = v.\"Id\" AND e.\"OccurredAt\" >= {0} AND e.\"OccurredAt\" < {1}" + SiteFilter(site, 2, "e.");

    /// <summary>Parameters {0}, {1}: UTC bounds; {2}: the site, if any. Product events of one window per product and type.</summary>
    public static string RawProductStats(int? site) =>
        "SELECT \"ProductId\" AS \"ProductId\", \"Type\" AS \"Type\", COUNT(*) AS \"Events\", COUNT(DISTINCT \"VisitorId\") AS \"Visitors\"" +
        " FROM \"Events\" WHERE \"OccurredAt\" >= {0} AND \"OccurredAt\" < {1} AND \"ProductId\" IS NOT NULL" + SiteFilter(site, 2) +
        " GROUP BY \"ProductId\", \"Type\"";

    // The roll-ups below: parameters {0}: the shop day; {1}, {2}: its UTC bounds. One row per site as well; the
    // staged copy on SQLite is INSERT ... SELECT *, so each SELECT lists its columns in the table list's order.

    public const string SelectVisitorDays =
        "SELECT {0} AS \"Day\", \"SiteId\", \"VisitorId\", " + StepsOfGroupedEvents + " AS \"Steps\" FROM \"Events\"" +
        " WHERE \"OccurredAt\" >= {1} AND \"OccurredAt\" < {2} GROUP BY \"SiteId\", \"VisitorId\"";

    public const string VisitorDaysTable = "\"AnalyticsVisitorDays\" (\"Day\", \"SiteId\", \"VisitorId\", \"Steps\")";
    public const string InsertVisitorDays = "INSERT INTO " + VisitorDaysTable + " " + SelectVisitorDays;

    public const string CartAddDaysTable = "\"AnalyticsCartAddDays\" (\"Day\", \"SiteId\", \"VisitorId\", \"ProductId\")";
    public const string InsertCartAddDays = "INSERT INTO " + CartAddDaysTable + " " + SelectCartAddDays;

    public const string SelectCartAddDays =
        "SELECT DISTINCT {0} AS \"Day\", \"SiteId\", \"VisitorId\", \"ProductId\" FROM \"Events\"" +
        " WHERE \"Type\" = 'add_to_cart' AND \"OccurredAt\" >= {1} AND \"OccurredAt\" < {2} AND \"ProductId\" IS NOT NULL";

    public const string ProductDaysTable = "\"AnalyticsProductDays\" (\"Day\", \"SiteId\", \"ProductId\", \"Type\", \"Events\", \"Visitors\")";
    public const string InsertProductDays = "INSERT INTO " + ProductDaysTable + " " + SelectProductDays;

    public const string SelectProductDays =
        "SELECT {0} AS \"Day\", \"SiteId\", \"ProductId\", \"Type\", COUNT(*) AS \"Events\", COUNT(DISTINCT \"VisitorId\") AS \"Visitors\" FROM \"Events\"" +
        " WHERE \"OccurredAt\" >= {1} AND \"OccurredAt\" < {2} AND \"ProductId\" IS NOT NULL" +
        " GROUP BY \"SiteId\", \"ProductId\", \"Type\"";
}
