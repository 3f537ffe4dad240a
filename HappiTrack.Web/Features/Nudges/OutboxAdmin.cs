using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Nudges;

public sealed record OutboxRow(int Id, int ContactId, string Phone, string? Name, string Kind, string Status, string Message,
    DateTime CreatedAt, DateTime SendAfter, DateTime? SentAt, int Attempts, string? LastError, string? Reason, int? CampaignId);

/// <summary>Why a manual action did not happen, so the API can answer 404 or 409 and the page can explain.</summary>
public enum ManualRefusal { None, NotFound, WrongState, NoConsent, NotNow }

/// <summary>What staff may do to a nudge by hand, each a conditional update so two admins never clash.</summary>
public sealed record ManualResult(bool Succeeded, string Message, string? WaMeLink = null, ManualRefusal Refusal = ManualRefusal.None);

/// <summary>
/// Staff actions on the outbox: retry (failed/dead → queued), cancel (anything not sent yet), and
/// "Send Link", the prototype's emulated dispatch: the admin opens a <c>wa.me</c> link on their own
/// phone and the nudge is marked sent. Every path re-applies the brain's guards first, so a contact
/// who opted out (or never opted in) cannot be messaged from the admin either.
/// </summary>
public sealed class OutboxAdmin(AppDbContext db, RuleSettingsService settingsService, ShopContext shop, IOutboxTrigger outboxTrigger, TimeProvider clock, IAuditLog audit)
{
    public const string ManualReason = NudgeReasons.SentByAdminWaMe;

    public async Task<(IReadOnlyList<OutboxRow> Rows, int Total)> ListAsync(string? status, string? kind, int? contactId, int page, int pageSize, CancellationToken ct)
    {
        var query = db.Set<Nudge>().AsNoTracking();
        if (!string.IsNullOrEmpty(status)) query = query.Where(n => n.Status == status);
        if (!string.IsNullOrEmpty(kind)) query = query.Where(n => n.Kind == kind);
        if (contactId is { } id) query = query.Where(n => n.ContactId == id);
        var total = await query.CountAsync(ct);
        var rows = await query.OrderByDescending(n => n.Id).Skip((page - 1) * pageSize).Take(pageSize)
            .Select(n => new OutboxRow(n.Id, n.ContactId, n.Contact.Phone, n.Contact.Name, n.Kind, n.Status, n.Message,
                n.CreatedAt, n.SendAfter, n.SentAt, n.Attempts, n.LastError, n.Reason, n.CampaignId))
            .ToListAsync(ct);
        return (rows, total);
    }

    /// <summary>The one retry path, behind both the outbox page and <c>POST /api/nudges/{id}/retry</c>.</summary>
    public async Task<ManualResult> RetryAsync(int nudgeId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var refusal = await ConsentRefusalAsync(nudgeId, ct);
        if (refusal is not null) return refusal;
        var updated = await db.Set<Nudge>().Where(n => n.Id == nudgeId).RetryAsync(now, ct);
        if (updated == 0) return new ManualResult(false, $"Nudge #{nudgeId} is not failed or dead-lettered, so there is nothing to retry.", Refusal: ManualRefusal.WrongState);
        outboxTrigger.NudgeWritten();
        await audit.RecordAsync(AuditActions.OutboxRetry, $"nudge:{nudgeId}", ct: ct);
        return new ManualResult(true, $"Nudge #{nudgeId} is queued again; the outbox sends it shortly if the guards allow.");
    }

    public async Task<ManualResult> CancelAsync(int nudgeId, CancellationToken ct)
    {
        var updated = await db.Set<Nudge>().Where(n => n.Id == nudgeId).CancelByAdminAsync(ct);
        if (updated > 0) await audit.RecordAsync(AuditActions.OutboxCancel, $"nudge:{nudgeId}", ct: ct);
        return updated == 0
            ? new ManualResult(false, $"Nudge #{nudgeId} was already sent, cancelled or suppressed.", Refusal: ManualRefusal.WrongState)
            : new ManualResult(true, $"Nudge #{nudgeId} is cancelled and will not be sent.");
    }

    /// <summary>Puts a waiting nudge at the front of the queue for the configured dispatcher.</summary>
    public async Task<ManualResult> QueueNowAsync(int nudgeId, CancellationToken ct)
    {
        var refusal = await ConsentRefusalAsync(nudgeId, ct);
        if (refusal is not null) return refusal;
        var now = clock.GetUtcNow().UtcDateTime;
        var updated = await db.Set<Nudge>().Where(n => n.Id == nudgeId).QueueNowAsync(now, ct);
        if (updated == 0) return new ManualResult(false, $"Nudge #{nudgeId} is no longer waiting to be sent.", Refusal: ManualRefusal.WrongState);
        outboxTrigger.NudgeWritten();
        return new ManualResult(true, $"Nudge #{nudgeId} is queued for the dispatcher; the cap and quiet hours still apply when it goes out.");
    }

    /// <summary>
    /// Emulated dispatch: the guards decide as they would at dispatch; if the nudge may go now, it is
    /// claimed (pending → sent) and the <c>wa.me</c> link is returned for the admin to open.
    /// </summary>
    public async Task<ManualResult> SendViaWaMeAsync(int nudgeId, CancellationToken ct)
    {
        var nudge = await db.Set<Nudge>().AsNoTracking().Include(n => n.Contact).FirstOrDefaultAsync(n => n.Id == nudgeId, ct);
        if (nudge is null) return new ManualResult(false, $"There is no nudge #{nudgeId}.", Refusal: ManualRefusal.NotFound);
        if (!NudgeStatuses.Pending.Contains(nudge.Status)) return new ManualResult(false, $"Nudge #{nudgeId} is {nudge.Status}, not waiting to be sent.", Refusal: ManualRefusal.WrongState);
        var settings = await settingsService.GetAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var recent = await NudgeOutbox.RecentSendsAsync(db, nudge.ContactId, nudge.Id, includePending: false, now, settings.Guards, ct);
        var decision = NudgeGuards.Decide(new GuardInput(nudge.Contact.OptedIn, nudge.Contact.OptedOut, recent, nudge.ExpiresAt), now, settings.Guards, shop.TimeZone);
        if (decision.Verdict == GuardVerdict.Suppress) return new ManualResult(false, Explain(decision.Reason), Refusal: ManualRefusal.NotNow);
        if (decision.Verdict == GuardVerdict.Defer)
            return new ManualResult(false, $"Not now: {Explain(decision.Reason)} It may go out from {decision.Until:yyyy-MM-dd HH:mm} UTC.", Refusal: ManualRefusal.NotNow);

        var claimed = await db.Set<Nudge>().Where(n => n.Id == nudgeId).MarkSentByAdminAsync(nudge.Status, now, ct);
        if (claimed == 0) return new ManualResult(false, $"Nudge #{nudgeId} was just sent or changed by someone else.", Refusal: ManualRefusal.WrongState);
        return new ManualResult(true, $"Nudge #{nudgeId} is marked sent. Open WhatsApp to deliver it.", LogNudgeDispatcher.WaMeLink(nudge.Contact.Phone, nudge.Message));
    }

    private async Task<ManualResult?> ConsentRefusalAsync(int nudgeId, CancellationToken ct)
    {
        var contact = await db.Set<Nudge>().AsNoTracking().Where(n => n.Id == nudgeId).Select(n => new { n.Contact.OptedIn, n.Contact.OptedOut }).FirstOrDefaultAsync(ct);
        if (contact is null) return new ManualResult(false, $"There is no nudge #{nudgeId}.", Refusal: ManualRefusal.NotFound);
        if (contact.OptedOut) return new ManualResult(false, Explain(GuardReasons.OptedOut), Refusal: ManualRefusal.NoConsent);
        if (!contact.OptedIn) return new ManualResult(false, Explain(GuardReasons.NoOptIn), Refusal: ManualRefusal.NoConsent);
        return null;
    }

    public static string Explain(string? reason) => reason switch
    {
        GuardReasons.OptedOut => "This contact opted out of WhatsApp messages; nothing may be sent until they opt in again themselves.",
        GuardReasons.NoOptIn => "This contact has not opted in to WhatsApp messages.",
        GuardReasons.Capped => "The contact already got the maximum number of messages in the cap window.",
        GuardReasons.QuietHours => "It is quiet hours in the shop's time zone.",
        GuardReasons.Expired => "The offer expired before it could be sent.",
        _ => reason ?? "",
    };
}
