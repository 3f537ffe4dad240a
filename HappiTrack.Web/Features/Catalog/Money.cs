using System.Globalization;

namespace HappiTrack.Web.Features.Catalog;

/// <summary>The one place money is turned into text: euros, invariant grouping, e.g. "€1,099.00".</summary>
public static class Money
{
    public static string Format(long cents) =>
        cents < 0
            ? "−€" + (-cents / 100m).ToString("N2", CultureInfo.InvariantCulture)
            : "€" + (cents / 100m).ToString("N2", CultureInfo.InvariantCulture);
}
