using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Crm;

/// <summary>A staff note on a contact. Personal data: it leaves with the contact (cascade) and is never copied to the audit log.</summary>
public sealed class ContactNote
{
    public long Id { get; set; }
    public int ContactId { get; set; }
    public required string Text { get; set; }
    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
}

internal sealed class ContactNoteConfiguration : IEntityTypeConfiguration<ContactNote>
{
    public void Configure(EntityTypeBuilder<ContactNote> b)
    {
        b.ToTable("ContactNotes");
        b.Property(n => n.Text).HasMaxLength(ContactActions.MaxNoteLength);
        b.Property(n => n.CreatedBy).HasMaxLength(256);
        b.HasIndex(n => new { n.ContactId, n.CreatedAt });
        b.HasOne<Contact>().WithMany().HasForeignKey(n => n.ContactId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>
/// How staff learned of a consent, stored as its source (<see cref="Contact.OptInSource"/> and the consent
/// history). All start with <c>admin</c>: staff recorded it on the person's behalf.
/// </summary>
public static class StaffConsentSources
{
    public static readonly IReadOnlyList<(string Source, string Label)> All =
    [
        ("admin:phone", "They said so on the phone"),
        ("admin:in_person", "They said so in person"),
        ("admin:written", "They signed a form or wrote to us"),
        ("admin:email", "They asked by email"),
    ];

    public static bool IsKnown(string? source) => All.Any(s => s.Source == source);
}

public sealed record ContactActionResult(bool Succeeded, string Message);

/// <summary>
/// What staff do on a contact's page: rename, record an opt-out or opt-in on the person's behalf
/// (through <see cref="Contact.OptOut"/>/<see cref="Contact.OptIn"/>, so the consent history has it), add a note.
/// Each is audited with the actor and ids only: the audit log outlives an erasure, so no name, note or phone goes in it.
/// </summary>
public sealed class ContactActions(AppDbContext db, TimeProvider clock, IAuditLog audit)
{
    public const int MaxNameLength = 100;
    public const int MaxNoteLength = 2000;

    public async Task<ContactActionResult?> RenameAsync(int contactId, string? name, CancellationToken ct)
    {
        var contact = await db.Contacts.FirstOrDefaultAsync(c => c.Id == contactId, ct);
        if (contact is null) return null;
        var trimmed = string.IsNullOrWhiteSpace(name) ? null : name.Trim();
        if (trimmed is not null && (trimmed.Length > MaxNameLength || trimmed.Any(char.IsControl)))
            return new(false, $"A name is text of at most {MaxNameLength} characters.");
        if (trimmed == contact.Name) return new(true, "The name is unchanged.");
        contact.Name = trimmed;
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(AuditActions.ContactEdit, $"contact:{contactId}", new { field = "name", cleared = trimmed is null }, ct);
        return new(true, trimmed is null ? "The name was removed." : "The name was saved.");
    }

    /// <summary>Withdraws consent and cancels the contact's waiting messages in one transaction.</summary>
    public async Task<ContactActionResult?> OptOutAsync(int contactId, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginWriteTransactionAsync(ct);
        var contact = await db.Contacts.Include(c => c.ConsentHistory).FirstOrDefaultAsync(c => c.Id == contactId, ct);
        if (contact is null) return null;
        if (contact.OptedOut) return new(true, "This contact had already opted out.");
        contact.OptOut(ConsentSources.Admin, clock.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(ct);
        var cancelled = await db.Set<Nudge>().Where(n => n.ContactId == contactId).CancelWaitingAsync(GuardReasons.OptedOut, ct);
        await transaction.CommitAsync(ct);
        await audit.RecordAsync(AuditActions.ContactOptOut, $"contact:{contactId}", new { source = ConsentSources.Admin, cancelledNudges = cancelled }, ct);
        return new(true, $"Opt-out recorded; {cancelled} waiting {(cancelled == 1 ? "message was" : "messages were")} cancelled. Only the person can opt in again (START on WhatsApp).");
    }

    public async Task<ContactActionResult?> OptInAsync(int contactId, string? source, CancellationToken ct)
    {
        var contact = await db.Contacts.Include(c => c.ConsentHistory).FirstOrDefaultAsync(c => c.Id == contactId, ct);
        if (contact is null) return null;
        if (!StaffConsentSources.IsKnown(source)) return new(false, "Say how the person gave their consent.");
        if (contact.OptedOut) return new(false, "This person opted out; only they can opt in again (START on WhatsApp). Nothing was changed.");
        if (!contact.OptIn(source!, clock.GetUtcNow().UtcDateTime)) return new(true, "This contact had already opted in.");
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(AuditActions.ContactOptIn, $"contact:{contactId}", new { source }, ct);
        return new(true, "Opt-in recorded.");
    }

    public async Task<ContactActionResult?> AddNoteAsync(int contactId, string? text, string? author, CancellationToken ct)
    {
        if (!await db.Contacts.AnyAsync(c => c.Id == contactId, ct)) return null;
        var trimmed = text?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxNoteLength)
            return new(false, $"Write a note of at most {MaxNoteLength} characters.");
        var note = new ContactNote { ContactId = contactId, Text = trimmed, CreatedAt = clock.GetUtcNow().UtcDateTime, CreatedBy = author };
        db.Add(note);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(AuditActions.ContactNote, $"contact:{contactId}", new { noteId = note.Id }, ct);
        return new(true, "Note added.");
    }

    public Task<List<ContactNote>> NotesAsync(int contactId, CancellationToken ct) =>
        db.Set<ContactNote>().AsNoTracking().Where(n => n.ContactId == contactId).OrderByDescending(n => n.CreatedAt).ThenByDescending(n => n.Id).ToListAsync(ct);

    public Task<List<ConsentChange>> ConsentHistoryAsync(int contactId, CancellationToken ct) =>
        db.Set<ConsentChange>().AsNoTracking().Where(c => c.ContactId == contactId).OrderByDescending(c => c.At).ThenByDescending(c => c.Id).ToListAsync(ct);
}
