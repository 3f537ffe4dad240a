namespace HappiTrack.Web.Features.Analytics;

/// <summary>
/// The few statements EF Core LINQ cannot express well (bit-folding per visitor, INSERT ... SELECT).
/// Plain ANSI SQL with quoted identifiers, so SQLite and PostgreSQL run the same text.
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

    /// <summary>Parameters {0}, {1}: UTC start (inclusive) and end (exclusive).</summary>
    public const string RawVisitorSteps =
        "SELECT \"VisitorId\", " + StepsOfGroupedEvents + " AS \"Steps\" FROM \"Events\"" +
        " WHERE \"OccurredAt\" >= {0} AND \"OccurredAt\" < {1} GROUP BY \"VisitorId\"";

    /// <summary>Parameters {0}, {1}: first and last shop day, inclusive.</summary>
    public const string RolledUpVisitorSteps =
        "SELECT \"VisitorId\", \"Steps\" FROM \"AnalyticsVisitorDays\" WHERE \"Day\" >= {0} AND \"Day\" <= {1}";

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

    /// <summary>Parameters {0}, {1}: first and last shop day.</summary>
    public const string RolledUpActivity =
        "SELECT 1 FROM \"AnalyticsVisitorDays\" f WHERE f.\"VisitorId\" = v.\"Id\" AND f.\"Day\" >= {0} AND f.\"Day\" <= {1}";

    /// <summary>Parameters {0}, {1}: UTC bounds.</summary>
    public const string RawActivity =
        "SELECT 1 FROM \"Events\" e WHERE e.\"VisitorId\" = v.\"Id\" AND e.\"OccurredAt\" >= {0} AND e.\"OccurredAt\" < {1}";

    /// <summary>Parameters {0}, {1}: UTC bounds. Product events of one window per product and type.</summary>
    public const string RawProductStats =
        "SELECT \"ProductId\" AS \"ProductId\", \"Type\" AS \"Type\", COUNT(*) AS \"Events\", COUNT(DISTINCT \"VisitorId\") AS \"Visitors\"" +
        " FROM \"Events\" WHERE \"OccurredAt\" >= {0} AND \"OccurredAt\" < {1} AND \"ProductId\" IS NOT NULL" +
        " GROUP BY \"ProductId\", \"Type\"";

    /// <summary>Parameters {0}: the shop day; {1}, {2}: its UTC bounds.</summary>
    public const string SelectVisitorDays =
        "SELECT {0} AS \"Day\", \"VisitorId\", " + StepsOfGroupedEvents + " AS \"Steps\" FROM \"Events\"" +
        " WHERE \"OccurredAt\" >= {1} AND \"OccurredAt\" < {2} GROUP BY \"VisitorId\"";

    public const string VisitorDaysTable = "\"AnalyticsVisitorDays\" (\"Day\", \"VisitorId\", \"Steps\")";
    public const string InsertVisitorDays = "INSERT INTO " + VisitorDaysTable + " " + SelectVisitorDays;

    /// <summary>Parameters {0}: the shop day; {1}, {2}: its UTC bounds.</summary>
    public const string CartAddDaysTable = "\"AnalyticsCartAddDays\" (\"Day\", \"VisitorId\", \"ProductId\")";
    public const string InsertCartAddDays = "INSERT INTO " + CartAddDaysTable + " " + SelectCartAddDays;

    /// <summary>Parameters {0}: the shop day; {1}, {2}: its UTC bounds.</summary>
    public const string SelectCartAddDays =
        "SELECT DISTINCT {0} AS \"Day\", \"VisitorId\", \"ProductId\" FROM \"Events\"" +
        " WHERE \"Type\" = 'add_to_cart' AND \"OccurredAt\" >= {1} AND \"OccurredAt\" < {2} AND \"ProductId\" IS NOT NULL";

    /// <summary>Parameters {0}: the shop day; {1}, {2}: its UTC bounds.</summary>
    public const string ProductDaysTable = "\"AnalyticsProductDays\" (\"Day\", \"ProductId\", \"Type\", \"Events\", \"Visitors\")";
    public const string InsertProductDays = "INSERT INTO " + ProductDaysTable + " " + SelectProductDays;

    /// <summary>Parameters {0}: the shop day; {1}, {2}: its UTC bounds.</summary>
    public const string SelectProductDays =
        "SELECT {0} AS \"Day\", \"ProductId\", \"Type\", COUNT(*) AS \"Events\", COUNT(DISTINCT \"VisitorId\") AS \"Visitors\" FROM \"Events\"" +
        " WHERE \"OccurredAt\" >= {1} AND \"OccurredAt\" < {2} AND \"ProductId\" IS NOT NULL" +
        " GROUP BY \"ProductId\", \"Type\"";
}
