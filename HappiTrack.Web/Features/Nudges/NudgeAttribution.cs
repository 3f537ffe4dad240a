using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Cart;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Nudges;

/// <summary>
/// <c>Attribution:WindowDays</c> (default 7) and <c>Attribution:From</c>: <c>Click</c> (default; the
/// window starts when the contact followed the nudge's link) or <c>Delivery</c> (it also starts
/// when WhatsApp reported the message delivered or read, so a purchase without a click counts).
/// </summary>
public sealed class AttributionOptions
{
    public const string Section = "Attribution";
    public const string FromClick = "Click";
    public const string FromDelivery = "Delivery";

    public int WindowDays { get; set; } = 7;
    public string From { get; set; } = FromClick;
}

internal sealed class AttributionOptionsValidator : IValidateOptions<AttributionOptions>
{
    public ValidateOptionsResult Validate(string? name, AttributionOptions options)
    {
        var errors = new List<string>();
        if (options.WindowDays is < 1 or > 90) errors.Add("Attribution:WindowDays must be between 1 and 90.");
        if (options.From is not (AttributionOptions.FromClick or AttributionOptions.FromDelivery))
            errors.Add($"Attribution:From must be '{AttributionOptions.FromClick}' or '{AttributionOptions.FromDelivery}'.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>
/// Last touch wins: an order is credited to the contact's nudge touched (clicked, or delivered
/// when configured) most recently within the window before the order. Call it inside the
/// checkout transaction after adding the order, so credit and order commit or roll back together.
/// </summary>
public sealed class NudgeAttribution(AppDbContext db, IOptions<AttributionOptions> options)
{
    public async Task AttributeAsync(Order order, CancellationToken ct = default)
    {
        if (order.ContactId is not { } contactId) return;
        var placedAt = order.PlacedAt;
        var since = placedAt - TimeSpan.FromDays(options.Value.WindowDays);
        var fromDelivery = options.Value.From == AttributionOptions.FromDelivery;

        var touched = await db.Set<Nudge>().AsNoTracking()
            .Where(n => n.ContactId == contactId
                && ((n.ClickedAt >= since && n.ClickedAt <= placedAt)
                    || (fromDelivery && ((n.DeliveredAt >= since && n.DeliveredAt <= placedAt) || (n.ReadAt >= since && n.ReadAt <= placedAt)))))
            .Select(n => new { n.Id, n.ClickedAt, n.DeliveredAt, n.ReadAt })
            .ToListAsync(ct);
        var winner = touched
            .Select(n => new { n.Id, Touch = new[] { n.ClickedAt, fromDelivery ? n.DeliveredAt : null, fromDelivery ? n.ReadAt : null }
                .Where(t => t >= since && t <= placedAt).Max() })
            .OrderByDescending(n => n.Touch).ThenByDescending(n => n.Id)
            .FirstOrDefault();
        if (winner is null) return;

        order.AttributedNudgeId = winner.Id;
        var revenue = order.TotalCents;
        // One UPDATE, so concurrent orders add up instead of overwriting each other's revenue.
        await db.Set<Nudge>().Where(n => n.Id == winner.Id).ExecuteUpdateAsync(s => s
            .SetProperty(n => n.RevenueCents, n => n.RevenueCents + revenue)
            .SetProperty(n => n.ConvertedAt, n => n.ConvertedAt ?? placedAt), ct);
    }
}
