using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Contacts;

public sealed record ContactInitResult(Contact Contact, bool Created);

/// <summary>Creates contacts and their tracked links; shared by the admin API and the admin pages.</summary>
public sealed class ContactService(AppDbContext db, TimeProvider clock, IOptInSuppression suppression, IAuditLog audit)
{
    public const int MaxNameLength = 100;

    /// <summary>
    /// Idempotent per phone: the first call creates the contact and its link token, later calls
    /// return the same contact and link. A non-empty name replaces the stored one (the latest spelling
    /// an admin typed wins). <paramref name="optIn"/> true records consent with its time and source
    /// unless the contact withdrew it: only the contact can undo their own opt-out (START on WhatsApp).
    /// False never withdraws consent.
    /// </summary>
    /// <param name="e164Phone">Already normalised with <see cref="PhoneNumber.TryNormalize"/>.</param>
    public Task<ContactInitResult> InitAsync(string e164Phone, string? name, bool optIn, string optInSource, CancellationToken ct) =>
        InitAsync(e164Phone, name, optIn, optInSource, retryOnConflict: true, ct);

    private async Task<ContactInitResult> InitAsync(string e164Phone, string? name, bool optIn, string optInSource, bool retryOnConflict, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        name = string.IsNullOrWhiteSpace(name) ? null : name.Trim();

        var contact = await db.Contacts.FirstOrDefaultAsync(c => c.Phone == e164Phone, ct);
        var created = contact is null;
        if (contact is null)
        {
            contact = new Contact { Phone = e164Phone, Name = name, LinkToken = LinkToken.New(), CreatedAt = now };
            // An erased person's number comes back opted out: staff and API consent cannot override it, only their own START.
            if (await suppression.IsSuppressedAsync(e164Phone, ct)) contact.OptOut(ConsentSources.Erasure, now);
            db.Contacts.Add(contact);
        }
        var nameChanged = !created && name is not null && contact.Name != name;
        if (nameChanged) contact.Name = name;

        var wasOptedIn = contact.OptedIn;
        if (optIn) contact.OptIn(optInSource, now);
        var optedInNow = optIn && contact.OptedIn && !wasOptedIn;

        try
        {
            // A consent change (opt-in) must outlive an OS crash; a name update rides along.
            await using var durable = await db.DurableWritesAsync(ct);
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException) when (created && retryOnConflict)
        {
            // Another request created the same phone a moment ago; theirs stands and this one is a repeat.
            db.ChangeTracker.Clear();
            return await InitAsync(e164Phone, name, optIn, optInSource, retryOnConflict: false, ct);
        }
        // Only the id and what changed: the log is never erased, so it must not hold the person's name or number.
        if (created || nameChanged || optedInNow)
            await audit.RecordAsync(AuditActions.ContactEdit, $"contact:{contact.Id}", new { created, nameChanged, optedIn = optedInNow, source = optInSource }, ct);
        return new ContactInitResult(contact, created);
    }
}
