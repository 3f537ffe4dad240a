using HappiTrack.Web.Features.Catalog;

namespace HappiTrack.Web.Tests.Storefront;

public sealed class MoneyTests
{
    [Theory]
    [InlineData(0, "€0.00")]
    [InlineData(5, "€0.05")]
    [InlineData(109900, "€1,099.00")]
    [InlineData(123456789, "€1,234,567.89")]
    [InlineData(-1050, "−€10.50")]
    public void Formats_cents_as_euros_whatever_the_server_culture(long cents, string expected)
    {
        var previous = Thread.CurrentThread.CurrentCulture;
        Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        try
        {
            Assert.Equal(expected, Money.Format(cents));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = previous;
        }
    }
}
