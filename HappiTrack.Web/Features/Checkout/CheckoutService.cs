using System.Buffers.Text;
using System.Security.Cryptography;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Features.Tokens;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Features.Tracking.Ingestion;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Checkout;

/// <summary>What the shopper typed at checkout. Nothing here carries a price or a product: those come from the server's cart.</summary>
/// <param name="ShownSubtotalCents">
/// The subtotal the checkout page showed. It never sets a price; when it differs from the server's (the deal
/// changed at the shop's midnight while the page was open) the order is refused so the shopper sees the new total first.
/// </param>
public sealed record CheckoutRequest(string? Name, string? Phone, bool WhatsAppOptIn, string? DiscountToken, long? ShownSubtotalCents = null);

/// <summary>The placed order, or one message per offending field (keys are <see cref="CheckoutFields"/>).</summary>
public sealed record CheckoutResult(Order? Order, IReadOnlyDictionary<string, string> Errors)
{
    public bool Succeeded => Order is not null;
    public static CheckoutResult Failed(IReadOnlyDictionary<string, string> errors) => new(null, errors);
}

public static class CheckoutFields
{
    public const string Cart = "Cart";
    public const string Name = "Name";
    public const string Phone = "Phone";
    public const string DiscountToken = "DiscountToken";
}

public sealed class CheckoutService(AppDbContext db, TimeProvider clock, TokenService tokens, IProjectEventsTrigger projectEvents, NudgeAttribution attribution, IEventStore events, IOptInSuppression suppression,
    NudgeOutbox outbox, RuleSettingsService settings, IOptions<ConsentOptions> consent, IOutboxTrigger outboxTrigger, DealCalendar deals)
{
    public const int MaxNameLength = 100;
    public const string EmptyCartMessage = "Your cart is empty. Add something you like before checking out.";
    public const string InvalidTokenMessage = TokenService.InvalidMessage;
    public const string CartChangedMessage = "Your cart changed while you were checking out. Please review it and place your order again.";
    public const string PricesChangedMessage = "Your order total changed while you were checking out (the Deal of the Day ends at midnight, shop time, or the cart was changed in another tab). Please check the new total and place your order again.";

    /// <summary>
    /// Prices the visitor's cart from the catalog and places the order in one transaction with one
    /// SaveChanges: order, optional new contact, purchase events and the emptied cart commit together.
    /// </summary>
    public async Task<CheckoutResult> PlaceOrderAsync(string visitorId, CheckoutRequest request, CancellationToken ct = default)
    {
        var errors = new Dictionary<string, string>();
        var name = request.Name?.Trim() ?? "";
        if (name.Length == 0) errors[CheckoutFields.Name] = "Please tell us your name.";
        else if (name.Length > MaxNameLength) errors[CheckoutFields.Name] = $"Please keep your name under {MaxNameLength} characters.";
        else if (ContactNames.HasHiddenCharacters(name)) errors[CheckoutFields.Name] = "Please type your name as plain text, without line breaks or special control characters.";

        string phone = "";
        if (string.IsNullOrWhiteSpace(request.Phone)) errors[CheckoutFields.Phone] = "Please enter your phone number.";
        else if (!PhoneNumber.TryNormalize(request.Phone, out phone))
            errors[CheckoutFields.Phone] = "That phone number does not look right. " + PhoneNumber.FormatHint;

        var token = request.DiscountToken?.Trim();
        if (!string.IsNullOrEmpty(token) && await CheckDiscountTokenAsync(token, visitorId, ct) is { IsValid: false, DealIsBetter: false } refused)
            errors[CheckoutFields.DiscountToken] = refused.Message ?? InvalidTokenMessage;

        // The order, its token redemption and a new contact's opt-in must outlive an OS crash, not only a process crash.
        await using var durable = await db.DurableWritesAsync(ct);
        await using var transaction = await db.Database.BeginWriteTransactionAsync(ct);
        var cart = await db.Carts.Include(c => c.Lines).ThenInclude(l => l.Product)
            .FirstOrDefaultAsync(c => c.VisitorId == visitorId, ct);
        if (cart is null || cart.IsEmpty) errors[CheckoutFields.Cart] = EmptyCartMessage;
        if (errors.Count > 0) return CheckoutResult.Failed(errors);

        var now = clock.GetUtcNow().UtcDateTime;
        // The order line keeps the unit price actually charged: the deal price when the product is today's deal.
        var deal = await deals.TodayAsync(ct);
        var priced = cart!.Lines.OrderBy(l => l.Id).Select(l =>
        {
            var unit = deal?.ProductId == l.ProductId ? deal.PriceCents(l.Product.PriceCents) : l.Product.PriceCents;
            var line = new OrderLine
            {
                ProductId = l.ProductId,
                ProductSlug = l.Product.Slug,
                ProductName = l.Product.Name,
                UnitPriceCents = unit,
                Quantity = l.Quantity,
                LineTotalCents = unit * l.Quantity,
            };
            return (Line: line, Priced: new PricedLine(l.ProductId, line.LineTotalCents, (l.Product.PriceCents - unit) * l.Quantity));
        }).ToList();
        var lines = priced.Select(p => p.Line).ToList();
        var subtotal = lines.Sum(l => l.LineTotalCents);
        if (request.ShownSubtotalCents is { } shown && shown != subtotal)
            return CheckoutResult.Failed(new Dictionary<string, string> { [CheckoutFields.Cart] = PricesChangedMessage });
        var visitor = await ServerEvents.TouchVisitorAsync(db, events, visitorId, now, ct);

        // Redeemed inside the order transaction: if the order does not commit, the token stays unused.
        TokenCheck? discount = null;
        if (!string.IsNullOrEmpty(token))
        {
            discount = await tokens.RedeemAsync(token, visitor.ContactId, priced.Select(p => p.Priced).ToList(), null, ct);
            // A code the deal beats is left unused (and the order placed at the deal price); the page said so before.
            if (discount.Status == TokenCheckStatus.DealIsBetter) discount = null;
            else if (!discount.IsValid)
                return CheckoutResult.Failed(new Dictionary<string, string> { [CheckoutFields.DiscountToken] = discount.Message ?? InvalidTokenMessage });
        }
        var discountCents = discount?.DiscountCents ?? 0;

        var order = new Order
        {
            PublicId = NewPublicId(),
            VisitorId = visitorId,
            // Only a tracked link proves who this visitor is; a typed phone never does (SPEC §3).
            ContactId = visitor.ContactId,
            CustomerName = name,
            Phone = phone,
            WhatsAppOptIn = request.WhatsAppOptIn,
            SubtotalCents = subtotal,
            DiscountCents = discountCents,
            TotalCents = subtotal - discountCents,
            DiscountTokenId = discount?.TokenId,
            PlacedAt = now,
            Lines = lines,
        };
        db.Orders.Add(order);
        await attribution.AttributeAsync(order, ct);

        var confirmationWritten = request.WhatsAppOptIn && await RequestOptInAsync(phone, name, now, ct);

        foreach (var line in lines)
            ServerEvents.Add(db, visitor, EventTypes.Purchase, now, line.ProductId,
                new { qty = line.Quantity, cents = line.LineTotalCents, order = order.PublicId });

        // Stop-on-purchase: a rescue for this cart that is still waiting must not go out.
        await NudgeOutbox.CancelCartRescuesAsync(db, cart.Id, ct);
        cart.Clear(now);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Another tab changed the cart after it was priced here; charging the stale lines would be wrong.
            db.ChangeTracker.Clear();
            return CheckoutResult.Failed(new Dictionary<string, string> { [CheckoutFields.Cart] = CartChangedMessage });
        }
        if (discount?.TokenId is { } tokenId)
            await db.Set<DiscountToken>().Where(t => t.Id == tokenId).ExecuteUpdateAsync(x => x.SetProperty(t => t.RedeemedOrderId, order.Id), ct);
        await transaction.CommitAsync(ct);
        projectEvents.EventsWritten();
        if (confirmationWritten) outboxTrigger.NudgeWritten();
        return new CheckoutResult(order, new Dictionary<string, string>());
    }

    /// <summary>
    /// An order another site's server reported (signed, issue 20), placed through the same steps as Trusty's
    /// checkout in one transaction: the order, attribution to the nudge last touched, the purchase events the
    /// VIP rule counts, stop-on-purchase for the visitor's cart. The shop vouches for its customer's phone, so
    /// the order belongs to that number's contact (created on first sight at this site); an opt-in the
    /// shop reports is consent given at its checkout, recorded with <paramref name="consentSource"/>.
    /// </summary>
    /// <returns>The order, or the one already stored under the same site and order id (nothing new is written).</returns>
    public async Task<(Order Order, bool Created)> PlaceSiteOrderAsync(SiteOrder request, CancellationToken ct = default)
    {
        await using var durable = await db.DurableWritesAsync(ct);
        await using var transaction = await db.Database.BeginWriteTransactionAsync(ct);
        var existing = await db.Orders.AsNoTracking().FirstOrDefaultAsync(o => o.SiteId == request.SiteId && o.ExternalId == request.ExternalId, ct);
        if (existing is not null) return (existing, false);

        var now = clock.GetUtcNow().UtcDateTime;
        Contact? contact = null;
        if (!await suppression.IsSuppressedAsync(request.Phone, ct))
        {
            contact = await db.Contacts.FirstOrDefaultAsync(c => c.Phone == request.Phone, ct);
            if (contact is null)
            {
                contact = new Contact { Phone = request.Phone, Name = request.CustomerName, LinkToken = LinkToken.New(), CreatedAt = now, SiteId = request.SiteId };
                db.Contacts.Add(contact);
            }
            if (request.OptIn) contact.OptIn(request.ConsentSource, now);
            await db.SaveChangesAsync(ct);
        }

        var visitor = await ServerEvents.TouchVisitorAsync(db, events, request.VisitorId, now, ct);
        var lines = request.Lines.Select(l => new OrderLine
        {
            ProductId = l.ProductId,
            ProductSlug = l.Slug,
            ProductName = l.Name,
            UnitPriceCents = l.UnitPriceCents,
            Quantity = l.Quantity,
            LineTotalCents = l.UnitPriceCents * l.Quantity,
        }).ToList();
        var subtotal = lines.Sum(l => l.LineTotalCents);
        var order = new Order
        {
            PublicId = NewPublicId(),
            SiteId = request.SiteId,
            ExternalId = request.ExternalId,
            VisitorId = visitor.Id,
            ContactId = contact?.Id ?? visitor.ContactId,
            CustomerName = request.CustomerName,
            Phone = request.Phone,
            WhatsAppOptIn = request.OptIn,
            SubtotalCents = subtotal,
            // What the shop charged is the shop's business (its own discounts and shipping); the difference is kept as is.
            DiscountCents = Math.Max(0, subtotal - request.TotalCents),
            TotalCents = request.TotalCents,
            PlacedAt = now,
            Lines = lines,
        };
        db.Orders.Add(order);
        await attribution.AttributeAsync(order, ct);

        var buyer = new ServerVisitor(visitor.Id, order.ContactId);
        foreach (var line in lines)
            ServerEvents.Add(db, buyer, EventTypes.Purchase, now, line.ProductId,
                new { qty = line.Quantity, cents = line.LineTotalCents, order = order.PublicId }).SiteId = request.SiteId;

        var cart = await db.Carts.Include(c => c.Lines).FirstOrDefaultAsync(c => c.VisitorId == visitor.Id && c.SiteId == request.SiteId, ct);
        if (cart is not null)
        {
            await NudgeOutbox.CancelCartRescuesAsync(db, cart.Id, ct);
            cart.Clear(now);
        }
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        projectEvents.EventsWritten();
        return (order, true);
    }

    /// <summary>Records the authoritative <c>checkout</c> funnel step when the checkout page is shown with items.</summary>
    public async Task RecordCheckoutViewAsync(string visitorId, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var visitor = await ServerEvents.TouchVisitorAsync(db, events, visitorId, now, ct);
        ServerEvents.Add(db, visitor, EventTypes.Checkout, now);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Checks a discount code against this visitor's cart. A code is personal: it works for a browser
    /// linked to its owner (by a tracked or nudge link). Unknown, malformed and other people's codes
    /// all get the same message, so the answer never reveals whether some other code exists.
    /// </summary>
    public async Task<DiscountCheck> CheckDiscountTokenAsync(string token, string visitorId, CancellationToken ct = default)
    {
        var contactId = await db.Visitors.Where(v => v.Id == visitorId).Select(v => v.ContactId).FirstOrDefaultAsync(ct);
        var deal = await deals.TodayAsync(ct);
        var lines = (await db.CartLines.AsNoTracking()
            .Where(l => db.Carts.Any(c => c.Id == l.CartId && c.VisitorId == visitorId))
            .Select(l => new { l.ProductId, l.Product.PriceCents, l.Quantity })
            .ToListAsync(ct))
            .Select(l =>
            {
                var unit = deal?.ProductId == l.ProductId ? deal.PriceCents(l.PriceCents) : l.PriceCents;
                return new PricedLine(l.ProductId, unit * l.Quantity, (l.PriceCents - unit) * l.Quantity);
            })
            .ToList();
        var check = await tokens.CheckAsync(token, contactId, lines, ct);
        return new DiscountCheck(check.IsValid, check.DiscountCents, check.IsValid ? null : check.Message ?? InvalidTokenMessage)
        {
            Percent = check.Percent,
            DealIsBetter = check.Status == TokenCheckStatus.DealIsBetter,
        };
    }

    public Task<Order?> FindOrderForVisitorAsync(string publicId, string? visitorId, CancellationToken ct = default)
    {
        if (visitorId is null || publicId.Length > 32) return Task.FromResult<Order?>(null);
        return db.Orders.AsNoTracking().Include(o => o.Lines)
            .FirstOrDefaultAsync(o => o.PublicId == publicId && o.VisitorId == visitorId, ct);
    }

    /// <summary>
    /// The ticked box is not consent: anyone can type anyone's number. It makes the contact <i>pending</i>
    /// (double opt-in) and queues the one confirmation the owner answers with YES; nothing else is sent
    /// until then. A new phone gets a contact; an existing one is never linked to this visitor or handed
    /// its profile, and one that is opted in, opted out or already pending is left as it is.
    /// </summary>
    /// <returns>Whether a confirmation was written (poke the outbox after the commit).</returns>
    private async Task<bool> RequestOptInAsync(string phone, string name, DateTime now, CancellationToken ct)
    {
        // An erased person's number: the ticked box is refused as an opt-out, and nothing of them is stored again.
        if (await suppression.IsSuppressedAsync(phone, ct)) return false;
        var contact = await db.Contacts.FirstOrDefaultAsync(c => c.Phone == phone, ct);
        if (contact is null)
        {
            contact = new Contact { Phone = phone, Name = name, LinkToken = LinkToken.New(), CreatedAt = now };
            db.Contacts.Add(contact);
        }
        var pendingFor = consent.Value.PendingFor;
        if (!contact.RequestOptIn(ConsentSources.Checkout, now, pendingFor)) return false;

        var confirmation = consent.Value.ConfirmationMessage;
        var written = await outbox.WriteAsync(db, contact, new NudgeRequest(
            NudgeKinds.OptInConfirmation, $"opt-in-confirmation:{NudgeOutbox.NewCode()}", now + pendingFor,
            (_, _) => new NudgeContent(confirmation), n => n.Contact = contact), await settings.GetAsync(ct), now, ct);
        return written is not null;
    }

    private static string NewPublicId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
}

/// <summary>An order reported by another site's server; lines are already resolved to that site's products.</summary>
public sealed record SiteOrder(int SiteId, string ExternalId, string VisitorId, string Phone, string CustomerName, bool OptIn, string ConsentSource,
    long TotalCents, IReadOnlyList<SiteOrderLine> Lines);

public sealed record SiteOrderLine(int ProductId, string Slug, string Name, long UnitPriceCents, int Quantity);

public sealed record DiscountCheck(bool IsValid, long DiscountCents, string? Message)
{
    public int Percent { get; init; }
    /// <summary>Not an error: the code would only cover deal lines that already save more, so checkout goes ahead without it.</summary>
    public bool DealIsBetter { get; init; }
    public static readonly DiscountCheck Invalid = new(false, 0, CheckoutService.InvalidTokenMessage);
}
