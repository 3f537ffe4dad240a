using System.Globalization;
using System.Text;
using System.Text.Json;

namespace HappiTrack.Web.Features.Analytics;

/// <summary>The tracker coarsens pointer positions to a 20×20 grid of the viewport; this folds its cells into counts.</summary>
public static class HeatmapGrid
{
    public const int Size = 20;
    public const int CellCount = Size * Size;

    /// <summary>
    /// Adds the cells of one stored <c>mouse</c> event (<c>{"cells":[row × 20 + column, ...]}</c>, as the
    /// tracker sends them) to <paramref name="counts"/>. Ingestion validated them, but anything malformed
    /// here is skipped rather than trusted.
    /// </summary>
    public static void Accumulate(int[] counts, string? json)
    {
        if (string.IsNullOrEmpty(json)) return;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("cells", out var cells)
                || cells.ValueKind != JsonValueKind.Array) return;
            foreach (var cell in cells.EnumerateArray())
            {
                if (cell.ValueKind == JsonValueKind.Number && cell.TryGetInt32(out var index) && index is >= 0 and < CellCount)
                    counts[index]++;
            }
        }
        catch (JsonException)
        {
        }
    }

    public static string Serialize(int[] counts)
    {
        var sb = new StringBuilder(CellCount * 2);
        for (var i = 0; i < counts.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(counts[i].ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    public static void AddSerialized(int[] counts, string serialized)
    {
        var i = 0;
        foreach (var part in serialized.Split(','))
        {
            if (i >= CellCount) break;
            counts[i++] += int.Parse(part, CultureInfo.InvariantCulture);
        }
    }
}
