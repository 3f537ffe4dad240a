using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Contacts;

/// <summary>
/// One change of a contact's consent, appended by <see cref="Contact.OptIn"/> and <see cref="Contact.OptOut"/>
/// themselves, so every caller (API, admin page, checkout, WhatsApp) leaves the history GDPR art. 7(1)
/// asks the shop to be able to show, and the contact's export (art. 15) can hand it over.
/// </summary>
public sealed class ConsentChange
{
    public long Id { get; set; }
    public int ContactId { get; set; }
    /// <summary>True for an opt-in, false for an opt-out.</summary>
    public bool OptedIn { get; set; }
    /// <summary>An opt-in asked for by someone other than the owner (double opt-in): not consent, waiting for the owner's YES.</summary>
    public bool Pending { get; set; }
    /// <summary>A <see cref="ConsentSources"/> value.</summary>
    public required string Source { get; set; }
    public DateTime At { get; set; }
}

internal sealed class ConsentChangeConfiguration : IEntityTypeConfiguration<ConsentChange>
{
    public void Configure(EntityTypeBuilder<ConsentChange> b)
    {
        b.ToTable("ConsentHistory");
        b.Property(c => c.Source).HasMaxLength(32);
        b.HasIndex(c => new { c.ContactId, c.At });
        b.HasOne<Contact>().WithMany(c => c.ConsentHistory).HasForeignKey(c => c.ContactId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>
/// Phones whose owner had their data erased: a new contact for such a number starts opted out, so
/// only the person's own opt-in (START on WhatsApp) can make them messageable again. Implemented by
/// the Privacy feature, which holds the keyed hashes; Contacts only asks.
/// </summary>
public interface IOptInSuppression
{
    Task<bool> IsSuppressedAsync(string e164Phone, CancellationToken ct);
}
