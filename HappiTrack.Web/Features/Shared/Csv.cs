using System.Globalization;
using System.Text;

namespace HappiTrack.Web.Features.Shared;

/// <summary>
/// RFC 4180 cells that are safe to open in a spreadsheet. Here rather than in Analytics because the
/// contacts export (Crm) writes CSV too, and Analytics sits above Crm in the feature graph.
/// </summary>
public static class Csv
{
    /// <summary>
    /// Names come from browsers, checkout and the API; a leading = + - @ (or tab/CR) would make a
    /// spreadsheet evaluate them as a formula, so such text gets a leading apostrophe.
    /// Plain numbers keep their sign so that figures stay numeric.
    /// </summary>
    public static string Cell(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !IsNumber(value))
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    public static void WriteRow(StringBuilder sb, IReadOnlyList<string> cells)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(Cell(cells[i]));
        }
        sb.Append("\r\n");
    }

    private static bool IsNumber(string value) =>
        decimal.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _);
}
