using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Crm;

/// <summary>A person the shop may message on WhatsApp, identified by an E.164 phone number.</summary>
public sealed class Contact
{
    public int Id { get; set; }
    /// <summary>E.164, e.g. <c>+4915112345678</c>.</summary>
    public required string Phone { get; set; }
    public string? Name { get; set; }
    /// <summary>The secret in the contact's tracked link <c>/?ht=...</c>; 128+ random bits.</summary>
    public required string LinkToken { get; set; }
    public DateTime CreatedAt { get; set; }
    public bool OptedIn { get; set; }
    public DateTime? OptedInAt { get; set; }
    /// <summary>Where consent came from: <c>admin</c>, <c>api</c>, <c>checkout</c>, <c>whatsapp</c>.</summary>
    public string? OptInSource { get; set; }
    public bool OptedOut { get; set; }
    public DateTime? OptedOutAt { get; set; }
    public bool VipStatus { get; set; }
    public DateTime? VipSince { get; set; }
    public DateTime? LastSeenAt { get; set; }
    /// <summary>Last message the contact sent us; opens WhatsApp's 24 h customer-service window.</summary>
    public DateTime? LastInboundAt { get; set; }

    /// <summary>Messaging is allowed only with a standing opt-in that was not withdrawn.</summary>
    public bool MayBeMessaged => OptedIn && !OptedOut;
}

internal sealed class ContactConfiguration : IEntityTypeConfiguration<Contact>
{
    public void Configure(EntityTypeBuilder<Contact> b)
    {
        b.Property(c => c.Phone).HasMaxLength(20);
        b.Property(c => c.Name).HasMaxLength(100);
        b.Property(c => c.LinkToken).HasMaxLength(64);
        b.Property(c => c.OptInSource).HasMaxLength(32);
        b.HasIndex(c => c.Phone).IsUnique();
        b.HasIndex(c => c.LinkToken).IsUnique();
        b.HasIndex(c => c.LastSeenAt);
        b.Ignore(c => c.MayBeMessaged);
    }
}
