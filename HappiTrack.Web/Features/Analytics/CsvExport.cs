using System.Text;

namespace HappiTrack.Web.Features.Analytics;

/// <summary>RFC 4180 CSV of an <see cref="AnalyticsTable"/>, safe to open in a spreadsheet.</summary>
public static class CsvExport
{
    public static string Write(AnalyticsTable table)
    {
        var sb = new StringBuilder();
        WriteRow(sb, table.Columns);
        foreach (var row in table.Rows) WriteRow(sb, row);
        return sb.ToString();
    }

    private static void WriteRow(StringBuilder sb, IReadOnlyList<string> cells)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(Cell(cells[i]));
        }
        sb.Append("\r\n");
    }

    /// <summary>
    /// Product, tag and path names come from the catalog and from browsers; a leading = + - @ (or tab/CR)
    /// would make a spreadsheet evaluate them as a formula, so such text gets a leading apostrophe.
    /// Plain numbers keep their sign so that figures stay numeric.
    /// </summary>
    internal static string Cell(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !IsNumber(value))
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    private static bool IsNumber(string value) =>
        decimal.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign | System.Globalization.NumberStyles.AllowDecimalPoint,
            System.Globalization.CultureInfo.InvariantCulture, out _);
}
