using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Contacts;

/// <summary>A person the shop may message on WhatsApp, identified by an E.164 phone number.</summary>
public sealed class Contact
{
    public int Id { get; set; }
    /// <summary>E.164, e.g. <c>+4915112345678</c>.</summary>
    public required string Phone { get; set; }
    /// <summary>
    /// The site where the person was first seen. A person is one contact per shop owner whichever of its
    /// sites they use, so the phone stays unique across sites and rules and caps apply to the person.
    /// </summary>
    public int SiteId { get; set; } = SiteIds.Trusty;
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
    /// <summary>
    /// When someone other than the number's owner (checkout) asked for marketing: the contact is
    /// <i>pending</i>, not opted in, until the owner confirms on WhatsApp (double opt-in, SECURITY.md).
    /// </summary>
    public DateTime? OptInRequestedAt { get; set; }
    /// <summary>Who asked for the pending opt-in (a <see cref="ConsentSources"/> value).</summary>
    public string? OptInRequestSource { get; set; }
    public bool VipStatus { get; set; }
    public DateTime? VipSince { get; set; }
    public DateTime? LastSeenAt { get; set; }
    /// <summary>Last message the contact sent us; opens WhatsApp's 24 h customer-service window.</summary>
    public DateTime? LastInboundAt { get; set; }

    // Materialised list columns, rewritten by ContactSummaryRefresher: the admin table sorts, filters and
    // pages 100,000 contacts on these indexes instead of decaying every contact's scores per request.
    public double InterestScore { get; set; }
    public DateTime? InterestAsOf { get; set; }
    /// <summary>Written by the Crm summary refresher from the Scoring feature's <c>ContactRanking</c>; null when the contact has no interest at all.</summary>
    public double? InterestRank { get; set; }
    public int Purchases { get; set; }
    public int? MostDesiredProductId { get; set; }
    public double MostDesiredScore { get; set; }
    /// <summary>Tag slugs, most interesting first, comma-separated.</summary>
    public string? TopTags { get; set; }

    /// <summary>Messaging is allowed only with a standing opt-in that was not withdrawn.</summary>
    public bool MayBeMessaged => OptedIn && !OptedOut;

    /// <summary>
    /// Waiting for the owner's YES: the only message it may get is the one transactional confirmation,
    /// and only until the request expires (<see cref="ConsentOptions.PendingHours"/>).
    /// </summary>
    public bool IsPendingAt(DateTime now, TimeSpan pendingFor) =>
        !OptedIn && !OptedOut && OptInRequestedAt is { } requested && now < requested + pendingFor;

    /// <summary>
    /// An opt-in asked for by someone who is not the number's owner (the checkout box can be ticked with
    /// anyone's number): the contact becomes pending, never opted in. Recorded in the history as a request.
    /// </summary>
    /// <returns>Whether a new request was recorded (not for a contact that is opted in, opted out or already pending).</returns>
    public bool RequestOptIn(string source, DateTime at, TimeSpan pendingFor)
    {
        if (OptedIn || OptedOut || IsPendingAt(at, pendingFor)) return false;
        OptInRequestedAt = at;
        OptInRequestSource = source;
        ConsentHistory.Add(new ConsentChange { OptedIn = false, Pending = true, Source = source, At = at });
        return true;
    }

    /// <summary>Appended by <see cref="OptIn"/>, <see cref="RequestOptIn"/> and <see cref="OptOut"/>; saved with the contact.</summary>
    public List<ConsentChange> ConsentHistory { get; } = [];

    /// <summary>
    /// Records consent with its time and source. Staff, the API and checkout can only add consent
    /// that was never given: only the contact's own word (<see cref="ConsentSources.WhatsApp"/>, a
    /// START message) undoes their opt-out, and it always renews the consent's time.
    /// </summary>
    /// <returns>Whether the consent changed.</returns>
    public bool OptIn(string source, DateTime at)
    {
        var byContact = source == ConsentSources.WhatsApp;
        if (!byContact && (OptedIn || OptedOut)) return false;
        OptedOut = false;
        OptedOutAt = null;
        OptedIn = true;
        OptedInAt = at;
        OptInSource = source;
        OptInRequestedAt = null;
        OptInRequestSource = null;
        ConsentHistory.Add(new ConsentChange { OptedIn = true, Source = source, At = at });
        return true;
    }

    /// <summary>
    /// Withdraws consent; it stands until the contact opts in again themselves. Callers cancel the
    /// contact's waiting nudges in the same unit of work. The source is kept in <see cref="ConsentHistory"/>.
    /// </summary>
    public void OptOut(string source, DateTime at)
    {
        if (!OptedOut) ConsentHistory.Add(new ConsentChange { OptedIn = false, Source = source, At = at });
        OptedOut = true;
        OptedOutAt = at;
        OptInRequestedAt = null;
        OptInRequestSource = null;
    }
}

/// <summary>Where consent came from, as stored in <see cref="Contact.OptInSource"/>.</summary>
public static class ConsentSources
{
    public const string Admin = "admin";
    public const string Api = "api";
    /// <summary>The checkout box: a request only (double opt-in), see <see cref="Contact.RequestOptIn"/>.</summary>
    public const string Checkout = "checkout";
    /// <summary>The contact's own message (START/STOP) on WhatsApp.</summary>
    public const string WhatsApp = "whatsapp";
    /// <summary>The number belongs to a person whose data was erased (see <see cref="IOptInSuppression"/>).</summary>
    public const string Erasure = "erasure";
}

internal sealed class ContactConfiguration : IEntityTypeConfiguration<Contact>
{
    public void Configure(EntityTypeBuilder<Contact> b)
    {
        b.Property(c => c.Phone).HasMaxLength(20);
        b.Property(c => c.Name).HasMaxLength(100);
        b.Property(c => c.OptInRequestSource).HasMaxLength(32);
        b.Property(c => c.LinkToken).HasMaxLength(64);
        b.Property(c => c.OptInSource).HasMaxLength(32);
        b.HasIndex(c => c.Phone).IsUnique();
        b.HasIndex(c => c.LinkToken).IsUnique();
        b.HasIndex(c => c.LastSeenAt);
        b.Ignore(c => c.MayBeMessaged);
        b.Property(c => c.TopTags).HasMaxLength(200);
        b.HasIndex(c => c.InterestRank);
        b.HasIndex(c => c.Purchases);
        b.HasIndex(c => c.Name);
        b.HasIndex(c => c.VipStatus);
        b.Property(c => c.SiteId).HasDefaultValue(SiteIds.Trusty);
        b.HasIndex(c => c.SiteId);
    }
}
