using System.Text;
using HappiTrack.Web.Features.Shared;

namespace HappiTrack.Web.Features.Analytics;

/// <summary>RFC 4180 CSV of an <see cref="AnalyticsTable"/>, safe to open in a spreadsheet (<see cref="Csv"/>).</summary>
public static class CsvExport
{
    public static string Write(AnalyticsTable table)
    {
        var sb = new StringBuilder();
        Csv.WriteRow(sb, table.Columns);
        foreach (var row in table.Rows) Csv.WriteRow(sb, row);
        return sb.ToString();
    }

    internal static string Cell(string value) => Csv.Cell(value);
}
