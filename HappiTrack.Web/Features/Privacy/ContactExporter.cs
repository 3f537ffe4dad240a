using System.IO.Pipelines;
using System.Text.Encodings.Web;
using System.Text.Json;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Tokens;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Privacy;

/// <summary>
/// Everything the shop holds about one contact (GDPR art. 15) as one JSON document, written straight
/// to the response: the small sections are read whole, the events are streamed from an untracked
/// query and flushed as they go, so a contact with 100,000 events never sits in memory.
/// </summary>
public sealed class ContactExporter(AppDbContext db, TimeProvider clock)
{
    private const int FlushBytes = 32 * 1024;
    // A download, never inlined into HTML, so the person reads "+49..." and "Zoë" rather than \u escapes.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public Task<bool> ExistsAsync(int contactId, CancellationToken ct) => db.Contacts.AnyAsync(c => c.Id == contactId, ct);

    /// <remarks>The writer sits on the response's pipe: its own flushes only commit buffers, and the pipe is flushed asynchronously (Kestrel forbids synchronous writes).</remarks>
    public async Task WriteAsync(int contactId, PipeWriter output, CancellationToken ct)
    {
        var contact = await db.Contacts.AsNoTracking().FirstAsync(c => c.Id == contactId, ct);
        await using var w = new Utf8JsonWriter(output, Writer);
        w.WriteStartObject();
        w.WriteString("format", "happitrack-contact-export/1");
        w.WriteString("exportedAt", clock.GetUtcNow().UtcDateTime);
        Section(w, "contact", new
        {
            contact.Id, contact.Phone, contact.Name, contact.CreatedAt, contact.OptedIn, contact.OptedInAt, contact.OptInSource,
            contact.OptedOut, contact.OptedOutAt, contact.VipStatus, contact.VipSince, contact.LastSeenAt, contact.LastInboundAt,
            contact.Purchases, contact.TopTags,
        });

        Section(w, "consentHistory", await db.Set<ConsentChange>().AsNoTracking().Where(c => c.ContactId == contactId)
            .OrderBy(c => c.At).ThenBy(c => c.Id).Select(c => new { c.At, c.OptedIn, c.Pending, c.Source }).ToListAsync(ct));

        Section(w, "notes", await db.Set<ContactNote>().AsNoTracking().Where(n => n.ContactId == contactId)
            .OrderBy(n => n.CreatedAt).ThenBy(n => n.Id).Select(n => new { n.CreatedAt, n.CreatedBy, n.Text }).ToListAsync(ct));

        var visitors = await db.Visitors.AsNoTracking().Where(v => v.ContactId == contactId).OrderBy(v => v.FirstSeenAt)
            .Select(v => new { v.Id, v.FirstSeenAt, v.LastSeenAt, v.LinkedAt }).ToListAsync(ct);
        var visitorIds = visitors.Select(v => v.Id).ToList();
        Section(w, "visitors", visitors);

        Section(w, "orders", await db.Orders.AsNoTracking()
            .Where(o => o.ContactId == contactId || visitorIds.Contains(o.VisitorId))
            .OrderBy(o => o.PlacedAt)
            .Select(o => new
            {
                o.PublicId, o.PlacedAt, o.CustomerName, o.Phone, o.WhatsAppOptIn, o.SubtotalCents, o.DiscountCents, o.TotalCents,
                Lines = o.Lines.Select(l => new { l.ProductSlug, l.ProductName, l.UnitPriceCents, l.Quantity, l.LineTotalCents }).ToList(),
            }).ToListAsync(ct));

        var now = clock.GetUtcNow().UtcDateTime;
        // Token values are never exported: the table holds only hashes, and a live code is a bearer credential.
        Section(w, "tokens", (await db.Set<DiscountToken>().AsNoTracking().Where(t => t.ContactId == contactId).OrderBy(t => t.CreatedAt)
                .Select(t => new { t.Id, t.Percent, t.Scope, t.ProductId, t.CreatedAt, t.ExpiresAt, t.RedeemedAt }).ToListAsync(ct))
            .Select(t => new
            {
                t.Id, t.Percent, Scope = t.Scope.ToString().ToLowerInvariant(), t.ProductId, t.CreatedAt, t.ExpiresAt, t.RedeemedAt,
                State = t.RedeemedAt is not null ? "redeemed" : t.ExpiresAt <= now ? "expired" : "active",
            }));

        Section(w, "nudges", await db.Set<Nudge>().AsNoTracking().Where(n => n.ContactId == contactId).OrderBy(n => n.CreatedAt).ThenBy(n => n.Id)
            .Select(n => new
            {
                n.Id, n.Kind, n.Status, n.Reason, n.Message, n.Link, n.CreatedAt, n.SendAfter, n.SentAt, n.DeliveryStatus,
                n.DeliveredAt, n.ReadAt, n.FailedAt, n.ClickedAt, n.ConvertedAt, n.RevenueCents, n.CampaignId,
            }).ToListAsync(ct));

        Section(w, "interestScores", (await db.Set<InterestScore>().AsNoTracking()
                .Where(s => s.ContactId == contactId || (s.VisitorId != null && visitorIds.Contains(s.VisitorId)))
                .OrderBy(s => s.Dimension).ThenBy(s => s.TargetId).ToListAsync(ct))
            .Select(s => new { Dimension = s.Dimension.ToString().ToLowerInvariant(), s.TargetId, s.Score, s.AsOf, s.VisitorId }));

        w.WritePropertyName("events");
        w.WriteStartArray();
        // Per visitor, then the contact's own events from any other browser: each query walks one index.
        foreach (var visitorId in visitorIds)
            await WriteEventsAsync(w, output, db.Events.Where(e => e.VisitorId == visitorId), ct);
        await WriteEventsAsync(w, output, db.Events.Where(e => e.ContactId == contactId && !visitorIds.Contains(e.VisitorId)), ct);
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        await output.FlushAsync(ct);
    }

    private static async Task WriteEventsAsync(Utf8JsonWriter w, PipeWriter output, IQueryable<Tracking.TrackEvent> events, CancellationToken ct)
    {
        var flushedAt = w.BytesCommitted;
        // Time order matches the (VisitorId|ContactId, OccurredAt) indexes, so the first rows stream out at once instead of after a sort of them all.
        await foreach (var e in events.AsNoTracking().OrderBy(e => e.OccurredAt).ThenBy(e => e.Id).AsAsyncEnumerable().WithCancellation(ct))
        {
            w.WriteStartObject();
            w.WriteNumber("id", e.Id);
            w.WriteString("type", e.Type);
            w.WriteString("visitorId", e.VisitorId);
            w.WriteString("occurredAt", e.OccurredAt);
            if (e.ClientTime is { } clientTime) w.WriteString("clientTime", clientTime);
            if (e.ProductId is { } productId) w.WriteNumber("productId", productId);
            w.WriteString("source", e.Source == Tracking.EventSource.Client ? "client" : "server");
            if (e.Path is not null) w.WriteString("path", e.Path);
            if (e.Data is not null) w.WriteString("data", e.Data);
            w.WriteEndObject();
            // BytesPending alone is no measure: the writer hands full buffers to the pipe by itself (resetting it), and
            // the pipe holds them all until flushed. So flush on the bytes written since the last flush.
            if (w.BytesCommitted + w.BytesPending - flushedAt < FlushBytes) continue;
            w.Flush();
            await output.FlushAsync(ct);
            flushedAt = w.BytesCommitted;
        }
    }

    private static void Section<T>(Utf8JsonWriter w, string name, T value)
    {
        w.WritePropertyName(name);
        JsonSerializer.Serialize(w, value, Json);
    }
}
