using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Tracking;

/// <summary>A browser, identified only by the server-issued <c>ht_vid</c> cookie.</summary>
public sealed class Visitor
{
    /// <summary>The cookie value itself: 128 random bits, base64url.</summary>
    public required string Id { get; set; }
    /// <summary>The site whose tracker issued the id (ids are random, so they never collide across sites).</summary>
    public int SiteId { get; set; } = SiteIds.Trusty;
    public DateTime FirstSeenAt { get; set; }
    public DateTime LastSeenAt { get; set; }
    /// <summary>Set only by a tracked link (<c>?ht=</c>): the link is the proof of identity.</summary>
    public int? ContactId { get; set; }
    public Contact? Contact { get; set; }
    public DateTime? LinkedAt { get; set; }
}

internal sealed class VisitorConfiguration : IEntityTypeConfiguration<Visitor>
{
    public void Configure(EntityTypeBuilder<Visitor> b)
    {
        b.Property(v => v.Id).HasMaxLength(32);
        b.HasIndex(v => v.ContactId);
        b.Property(v => v.SiteId).HasDefaultValue(SiteIds.Trusty);
        b.HasOne(v => v.Contact).WithMany().HasForeignKey(v => v.ContactId).OnDelete(DeleteBehavior.SetNull);
    }
}
