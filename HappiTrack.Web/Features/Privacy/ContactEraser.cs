using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Privacy;

public enum ErasureOutcome { Erased, AlreadyErased, NotFound, NoSuppressionKey }

public sealed record ErasureResult(ErasureOutcome Outcome, int Events = 0, int Visitors = 0, int Orders = 0, int Nudges = 0);

/// <summary>
/// Erases a contact's personal data and behavioural history (GDPR art. 17) in one transaction. What
/// the shop must keep stays: orders (bookkeeping) with the name and phone replaced by <see cref="Erased"/>,
/// the analytics roll-ups (already aggregated, keyed by an unlinked random visitor id), the nudge rows'
/// statuses for campaign figures, and a keyed hash of the phone so the number is not messaged again.
/// </summary>
public sealed class ContactEraser(AppDbContext db, PhoneSuppression suppression, TimeProvider clock, IAuditLog audit)
{
    public const string Erased = "erased";
    public const string NudgeReason = "contact_erased";
    private const int InChunk = 500;

    public async Task<ErasureResult> EraseAsync(int contactId, string reason, string actor, CancellationToken ct)
    {
        if (!suppression.HasKey) return new ErasureResult(ErasureOutcome.NoSuppressionKey);
        var contact = await db.Contacts.FirstOrDefaultAsync(c => c.Id == contactId, ct);
        if (contact is null) return new ErasureResult(ErasureOutcome.NotFound);
        if (await db.Set<ContactErasure>().AnyAsync(e => e.ContactId == contactId, ct)) return new ErasureResult(ErasureOutcome.AlreadyErased);

        var now = clock.GetUtcNow().UtcDateTime;
        var phone = contact.Phone;
        var phoneHash = suppression.Hash(phone);
        await using var tx = await db.Database.BeginWriteTransactionAsync(ct);

        var visitorIds = await db.Visitors.Where(v => v.ContactId == contactId).Select(v => v.Id).ToListAsync(ct);
        var events = await db.Events.Where(e => e.ContactId == contactId).ExecuteDeleteAsync(ct);
        foreach (var chunk in visitorIds.Chunk(InChunk))
        {
            events += await db.Events.Where(e => chunk.Contains(e.VisitorId)).ExecuteDeleteAsync(ct);
            await db.Set<InterestScore>().Where(s => s.VisitorId != null && chunk.Contains(s.VisitorId)).ExecuteDeleteAsync(ct);
        }
        await db.Set<InterestScore>().Where(s => s.ContactId == contactId).ExecuteDeleteAsync(ct);

        // Waiting messages are called off through the aggregate's own transition; then no body, link or code survives.
        var contactNudges = db.Set<Nudge>().Where(n => n.ContactId == contactId);
        await contactNudges.CancelWaitingAsync(NudgeReason, ct);
        var nudges = await contactNudges.ExecuteUpdateAsync(s => s
            .SetProperty(n => n.Message, "")
            .SetProperty(n => n.Link, "")
            .SetProperty(n => n.TokenValue, (string?)null)
            .SetProperty(n => n.CartSnapshot, (string?)null)
            .SetProperty(n => n.CartVisitorId, (string?)null), ct);

        var orders = await db.Orders.Where(o => o.ContactId == contactId || o.Phone == phone).ExecuteUpdateAsync(s => s
            .SetProperty(o => o.CustomerName, Erased).SetProperty(o => o.Phone, Erased), ct);
        foreach (var chunk in visitorIds.Chunk(InChunk))
        {
            orders += await db.Orders.Where(o => chunk.Contains(o.VisitorId) && o.Phone != Erased).ExecuteUpdateAsync(s => s
                .SetProperty(o => o.CustomerName, Erased).SetProperty(o => o.Phone, Erased), ct);
        }

        var visitors = await db.Visitors.Where(v => v.ContactId == contactId).ExecuteUpdateAsync(s => s
            .SetProperty(v => v.ContactId, (int?)null).SetProperty(v => v.LinkedAt, (DateTime?)null), ct);
        await db.Set<ConsentChange>().Where(c => c.ContactId == contactId).ExecuteDeleteAsync(ct);
        // Staff notes are free text about the person: they go with the rest of the personal data.
        await db.Set<ContactNote>().Where(n => n.ContactId == contactId).ExecuteDeleteAsync(ct);

        // The row stays (order, nudge and token rows point at it) but says nothing about the person;
        // a new link token makes the old tracked link dead, and the phone column is freed for the number's future.
        contact.Name = null;
        contact.Phone = $"{Erased}-{contactId}";
        contact.LinkToken = LinkToken.New();
        contact.OptOut(ConsentSources.Erasure, now);
        contact.VipStatus = false;
        contact.VipSince = null;
        contact.LastSeenAt = null;
        contact.LastInboundAt = null;
        contact.InterestScore = 0;
        contact.InterestAsOf = null;
        contact.InterestRank = null;
        contact.MostDesiredProductId = null;
        contact.MostDesiredScore = 0;
        contact.TopTags = null;
        if (!await db.Set<SuppressedPhone>().AnyAsync(s => s.Hash == phoneHash, ct))
            db.Add(new SuppressedPhone { Hash = phoneHash, CreatedAt = now });
        db.Add(new ContactErasure
        {
            ContactId = contactId, ErasedAt = now, Actor = Truncate(actor, 256), Reason = Truncate(reason.Trim(), 500),
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await audit.RecordAsAsync(actor, AuditActions.ContactErase, $"contact:{contactId}",
            new { reason = Truncate(reason.Trim(), 500), events, visitors, orders, nudges }, ct);
        return new ErasureResult(ErasureOutcome.Erased, events, visitors, orders, nudges);
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
