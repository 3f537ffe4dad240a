using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Tracking;

/// <summary>One stored behavioural event, from the tracker (client) or the server's own handlers.</summary>
public sealed class TrackEvent
{
    public long Id { get; set; }
    /// <summary>Wire name, e.g. <c>product_view</c>; see <see cref="EventTypes"/>.</summary>
    public required string Type { get; set; }
    public required string VisitorId { get; set; }
    /// <summary>The site the event happened on (<see cref="SiteIds.Trusty"/> for our own storefront).</summary>
    public int SiteId { get; set; } = SiteIds.Trusty;
    /// <summary>Copied from the visitor when stored, and back-filled when an anonymous visitor is linked.</summary>
    public int? ContactId { get; set; }
    public int? ProductId { get; set; }
    public EventSource Source { get; set; }
    /// <summary>Stamped by the server; the only time analytics and scoring trust.</summary>
    public DateTime OccurredAt { get; set; }
    /// <summary>The client's own clock, clamped to a window around the server time.</summary>
    public DateTime? ClientTime { get; set; }
    public string? Path { get; set; }
    /// <summary>Small, validated JSON with the event's own fields (dwell ms, label, cells, percent...).</summary>
    public string? Data { get; set; }
    /// <summary>
    /// The tracker's id for the event (SPEC §10), unique per visitor: the tracker re-sends what it is not
    /// sure was stored, and the second copy is skipped. Null for server events and old clients.
    /// </summary>
    public string? ClientEventId { get; set; }
}

public enum EventSource { Client = 0, Server = 1 }

public static class EventTypes
{
    public const string PageView = "page_view";
    public const string ProductView = "product_view";
    public const string LingerSpecs = "linger_specs";
    public const string Click = "click";
    public const string AddToCart = "add_to_cart";
    public const string RemoveFromCart = "remove_from_cart";
    public const string ExitIntent = "exit_intent";
    public const string Mouse = "mouse";
    public const string ScrollDepth = "scroll_depth";
    public const string Checkout = "checkout";
    public const string Purchase = "purchase";

    /// <summary>What the tracker may send; the rest only the server records.</summary>
    public static readonly IReadOnlySet<string> ClientTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        PageView, ProductView, LingerSpecs, Click, AddToCart, ExitIntent, Mouse, ScrollDepth,
    };
}

internal sealed class TrackEventConfiguration : IEntityTypeConfiguration<TrackEvent>
{
    public void Configure(EntityTypeBuilder<TrackEvent> b)
    {
        b.Property(e => e.Type).HasMaxLength(32);
        b.Property(e => e.VisitorId).HasMaxLength(32);
        b.Property(e => e.Path).HasMaxLength(512);
        b.Property(e => e.Data).HasMaxLength(4096);
        b.HasIndex(e => new { e.Type, e.OccurredAt });
        b.HasIndex(e => new { e.VisitorId, e.OccurredAt });
        b.HasIndex(e => new { e.ContactId, e.OccurredAt });
        b.HasIndex(e => new { e.ProductId, e.OccurredAt });
        b.HasIndex(e => e.OccurredAt);
        b.Property(e => e.SiteId).HasDefaultValue(SiteIds.Trusty);
        b.HasIndex(e => new { e.SiteId, e.OccurredAt });
        b.Property(e => e.ClientEventId).HasMaxLength(TrackPayload.MaxClientIdLength);
        // Both providers treat NULLs as distinct; the filter only keeps server events out of the index.
        b.HasIndex(e => new { e.VisitorId, e.ClientEventId }).IsUnique().HasFilter("\"ClientEventId\" IS NOT NULL");
    }
}
