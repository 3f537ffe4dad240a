using System.Buffers.Text;
using System.Net;
using System.Text.Json;
using HappiTrack.Web.Features.Checkout;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Storefront;

public sealed class CheckoutTests(StorefrontFactory factory) : IClassFixture<StorefrontFactory>
{
    private static int _phoneSuffix;

    /// <summary>A valid German mobile number nobody else in this test class uses.</summary>
    private static string NewPhone() => $"+4915112{Interlocked.Increment(ref _phoneSuffix):D6}";

    private async Task<StorefrontBrowser> BrowserWithCartAsync(params (string Slug, int Quantity)[] lines)
    {
        var browser = new StorefrontBrowser(factory);
        foreach (var (slug, quantity) in lines)
        {
            var page = await browser.GetAsync($"/product/{slug}");
            var result = await browser.SubmitAsync(page, "form.add-form", new Dictionary<string, string?> { ["quantity"] = quantity.ToString() });
            Assert.Equal(HttpStatusCode.OK, result.Status);
        }
        return browser;
    }

    private static Dictionary<string, string?> Details(string phone, bool optIn = false, string name = "Amina Test") => new()
    {
        ["Form.Name"] = name,
        ["Form.Phone"] = phone,
        ["Form.WhatsAppOptIn"] = optIn ? "true" : null,
    };

    [Fact]
    public async Task Checkout_places_an_order_priced_by_the_server_and_empties_the_cart()
    {
        var browser = await BrowserWithCartAsync(("lenovo-loq-15", 2), ("jbl-flip-6-pink", 1));
        var checkout = await browser.GetAsync("/checkout");
        Assert.Equal("Place order · €2,327.00", checkout.One("button[data-ht='place_order']")!.TextContent);
        Assert.Null(checkout.One("input[name='Form.WhatsAppOptIn'][checked]"));

        var confirmation = await browser.SubmitAsync(checkout, "form.checkout-form", Details("+49 151 2345 6789"));

        Assert.Equal(HttpStatusCode.OK, confirmation.Status);
        Assert.StartsWith("/orders/", confirmation.Url);
        Assert.Equal("€2,327.00", confirmation.One("[data-order-total]")!.TextContent);
        Assert.Contains("Thank you, Amina Test!", confirmation.Text);
        Assert.Equal("0", confirmation.One("[data-cart-count]")!.TextContent);

        var publicId = confirmation.Url["/orders/".Length..];
        var order = await factory.WithDbAsync(db => db.Orders.Include(o => o.Lines).SingleAsync(o => o.PublicId == publicId));
        Assert.Equal(232700, order.TotalCents);
        Assert.Equal(232700, order.SubtotalCents);
        Assert.Equal("+4915123456789", order.Phone);
        Assert.False(order.WhatsAppOptIn);
        Assert.Equal(browser.VisitorId, order.VisitorId);
        Assert.Equal(HappiTrackFactory.DefaultStart.UtcDateTime, order.PlacedAt);
        Assert.Equal(22, publicId.Length);
        Assert.True(Base64Url.IsValid(publicId));
        var loq = order.Lines.Single(l => l.ProductSlug == "lenovo-loq-15");
        Assert.Equal((109900, 2, 219800), (loq.UnitPriceCents, loq.Quantity, loq.LineTotalCents));
    }

    [Fact]
    public async Task A_forged_price_total_or_product_in_the_checkout_form_changes_nothing()
    {
        var browser = await BrowserWithCartAsync(("ps5-slim", 1));
        var checkout = await browser.GetAsync("/checkout");
        var forged = Details(NewPhone());
        forged["price"] = "1";
        forged["Form.TotalCents"] = "1";
        forged["TotalCents"] = "1";
        forged["productId"] = "1";
        forged["quantity"] = "50";
        forged["UnitPriceCents"] = "1";

        var confirmation = await browser.SubmitAsync(checkout, "form.checkout-form", forged);

        var publicId = confirmation.Url["/orders/".Length..];
        var order = await factory.WithDbAsync(db => db.Orders.Include(o => o.Lines).SingleAsync(o => o.PublicId == publicId));
        Assert.Equal(54900, order.TotalCents);
        var line = Assert.Single(order.Lines);
        Assert.Equal(("ps5-slim", 1, 54900L), (line.ProductSlug, line.Quantity, line.UnitPriceCents));
    }

    [Fact]
    public async Task A_forged_price_in_the_add_to_cart_form_is_ignored()
    {
        var browser = new StorefrontBrowser(factory);
        var home = await browser.GetAsync("/");
        await browser.SubmitAsync(home, ".product-grid [data-ht-product='nest-thermostat'] form",
            new Dictionary<string, string?> { ["price"] = "1", ["PriceCents"] = "1", ["UnitPriceCents"] = "1" });
        var checkout = await browser.GetAsync("/checkout");

        var confirmation = await browser.SubmitAsync(checkout, "form.checkout-form", Details(NewPhone()));

        Assert.Equal("€129.00", confirmation.One("[data-order-total]")!.TextContent);
    }

    [Fact]
    public async Task The_order_keeps_the_price_charged_when_the_catalog_price_changes_later()
    {
        var browser = await BrowserWithCartAsync(("nintendo-switch-oled", 1));
        var checkout = await browser.GetAsync("/checkout");
        var confirmation = await browser.SubmitAsync(checkout, "form.checkout-form", Details(NewPhone()));

        await factory.WithDbAsync(async db =>
        {
            var product = await db.Products.SingleAsync(p => p.Slug == "nintendo-switch-oled");
            product.PriceCents = 1;
            await db.SaveChangesAsync();
            var again = await browser.GetAsync(confirmation.Url);
            Assert.Equal("€349.00", again.One("[data-order-total]")!.TextContent);
            product.PriceCents = 34900;
            await db.SaveChangesAsync();
        });
    }

    [Fact]
    public async Task The_confirmation_is_only_shown_to_the_visitor_who_ordered()
    {
        var buyer = await BrowserWithCartAsync(("echo-dot-5", 1));
        var checkout = await buyer.GetAsync("/checkout");
        var confirmation = await buyer.SubmitAsync(checkout, "form.checkout-form", Details(NewPhone()));

        var stranger = await new StorefrontBrowser(factory).GetAsync(confirmation.Url);

        Assert.Equal(HttpStatusCode.NotFound, stranger.Status);
        Assert.DoesNotContain("Amina", stranger.Text);
    }

    [Fact]
    public async Task Checkout_with_an_empty_cart_shows_a_friendly_message_and_places_nothing()
    {
        var browser = await BrowserWithCartAsync(("echo-dot-5", 1));
        var checkout = await browser.GetAsync("/checkout");
        var cart = await browser.GetAsync("/cart");
        await browser.SubmitAsync(cart, "tr[data-ht-product='echo-dot-5'] form:not(.qty-form)");

        var result = await browser.SubmitAsync(checkout, "form.checkout-form", Details(NewPhone()));

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Contains(CheckoutService.EmptyCartMessage, result.Text);
        Assert.False(await factory.WithDbAsync(db => db.Orders.AnyAsync(o => o.VisitorId == browser.VisitorId)));

        var emptyGet = await new StorefrontBrowser(factory).GetAsync("/checkout");
        Assert.Equal(HttpStatusCode.OK, emptyGet.Status);
        Assert.Contains("Your cart is empty", emptyGet.Text);
        Assert.Null(emptyGet.One("form.checkout-form"));
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("0151 2345678")]
    [InlineData("+49 000")]
    [InlineData("call me maybe")]
    [InlineData("")]
    [InlineData("+4915123456789012345678901234567890123")]
    public async Task A_malformed_phone_gets_a_message_and_the_cart_is_kept(string phone)
    {
        var browser = await BrowserWithCartAsync(("echo-dot-5", 2));
        var checkout = await browser.GetAsync("/checkout");

        var result = await browser.SubmitAsync(checkout, "form.checkout-form", Details(phone, optIn: true));

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        var error = result.One("#phone-error")!.TextContent;
        Assert.True(error.Contains("phone number", StringComparison.OrdinalIgnoreCase), error);
        Assert.Equal("true", result.One("input[name='Form.Phone']")!.GetAttribute("aria-invalid") ?? "true");
        Assert.Equal("2", result.One("[data-cart-count]")!.TextContent);
        Assert.False(await factory.WithDbAsync(db => db.Orders.AnyAsync(o => o.VisitorId == browser.VisitorId)));
    }

    [Fact]
    public async Task A_missing_name_gets_a_message()
    {
        var browser = await BrowserWithCartAsync(("echo-dot-5", 1));
        var checkout = await browser.GetAsync("/checkout");

        var result = await browser.SubmitAsync(checkout, "form.checkout-form", Details(NewPhone(), name: "   "));

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Contains("Please tell us your name.", result.One("#name-error")!.TextContent);
    }

    [Theory]
    [InlineData("Amina\nRefund due")]
    [InlineData("Amina\u0007")]
    [InlineData("Amina\u202Eyap")]
    [InlineData("Amina\u2067Test")]
    public async Task A_name_with_control_or_bidi_characters_gets_a_message_and_places_nothing(string name)
    {
        var browser = await BrowserWithCartAsync(("echo-dot-5", 1));
        var checkout = await browser.GetAsync("/checkout");

        var result = await browser.SubmitAsync(checkout, "form.checkout-form", Details(NewPhone(), optIn: true, name: name));

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Contains("Please type your name as plain text", result.One("#name-error")!.TextContent);
        Assert.False(await factory.WithDbAsync(db => db.Orders.AnyAsync(o => o.VisitorId == browser.VisitorId)));
    }

    [Fact]
    public async Task Any_discount_code_is_refused_without_placing_the_order_and_can_be_removed()
    {
        var browser = await BrowserWithCartAsync(("echo-dot-5", 1));
        var checkout = await browser.GetAsync("/checkout?token=SUMMER-50");
        Assert.Equal("SUMMER-50", checkout.One("input[name='Form.DiscountToken']")!.GetAttribute("value"));
        Assert.Contains(CheckoutService.InvalidTokenMessage, checkout.One("#token-error")!.TextContent);

        var phone = NewPhone();
        var refused = await browser.SubmitAsync(checkout, "form.checkout-form", Details(phone));
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains(CheckoutService.InvalidTokenMessage, refused.One("#token-error")!.TextContent);
        Assert.False(await factory.WithDbAsync(db => db.Orders.AnyAsync(o => o.VisitorId == browser.VisitorId)));

        var removed = await browser.SubmitAsync(refused, "form.checkout-form", action: "/checkout?handler=RemoveToken");
        Assert.Equal(HttpStatusCode.OK, removed.Status);
        Assert.Equal("", removed.One("input[name='Form.DiscountToken']")!.GetAttribute("value") ?? "");
        Assert.Equal(phone, removed.One("input[name='Form.Phone']")!.GetAttribute("value"));
        Assert.Empty(removed.One("#token-error")!.TextContent.Trim());

        var placed = await browser.SubmitAsync(removed, "form.checkout-form");
        Assert.StartsWith("/orders/", placed.Url);
    }

    [Fact]
    public async Task Opt_in_unticked_creates_no_contact()
    {
        var browser = await BrowserWithCartAsync(("echo-dot-5", 1));
        var checkout = await browser.GetAsync("/checkout");
        var phone = NewPhone();

        await browser.SubmitAsync(checkout, "form.checkout-form", Details(phone, optIn: false));

        Assert.False(await factory.WithDbAsync(db => db.Contacts.AnyAsync(c => c.Phone == phone)));
    }

    [Fact]
    public async Task Opt_in_with_a_new_phone_creates_a_pending_contact_but_does_not_link_this_visitor()
    {
        var browser = await BrowserWithCartAsync(("echo-dot-5", 1));
        var checkout = await browser.GetAsync("/checkout");
        var phone = NewPhone();

        var confirmation = await browser.SubmitAsync(checkout, "form.checkout-form", Details(phone, optIn: true, name: "Nia"));

        var contact = await factory.WithDbAsync(db => db.Contacts.SingleAsync(c => c.Phone == phone));
        // Double opt-in (issue 15 item 1): pending until the number's owner answers YES.
        Assert.False(contact.OptedIn);
        Assert.False(contact.OptedOut);
        Assert.Equal("checkout", contact.OptInRequestSource);
        Assert.Equal("Nia", contact.Name);
        Assert.Equal(HappiTrackFactory.DefaultStart.UtcDateTime, contact.OptInRequestedAt);
        Assert.Equal(16, Base64Url.DecodeFromChars(contact.LinkToken).Length);
        var order = await factory.WithDbAsync(db => db.Orders.SingleAsync(o => o.PublicId == confirmation.Url.Substring(8)));
        Assert.True(order.WhatsAppOptIn);
        Assert.Null(order.ContactId);
        Assert.Null((await factory.WithDbAsync(db => db.Visitors.SingleAsync(v => v.Id == browser.VisitorId))).ContactId);
    }

    [Fact]
    public async Task Typing_an_existing_contacts_phone_never_takes_over_their_profile()
    {
        var phone = NewPhone();
        var victimVisitor = VisitorCookie.NewId();
        var victimId = await factory.WithDbAsync(async db =>
        {
            var victim = new Contact { Phone = phone, Name = "Victim", LinkToken = VisitorCookie.NewId(), CreatedAt = DateTime.UtcNow, VipStatus = true };
            db.Contacts.Add(victim);
            db.Visitors.Add(new Visitor { Id = victimVisitor, FirstSeenAt = DateTime.UtcNow, LastSeenAt = DateTime.UtcNow, Contact = victim });
            await db.SaveChangesAsync();
            return victim.Id;
        });
        var attacker = await BrowserWithCartAsync(("ps5-slim", 1));
        var checkout = await attacker.GetAsync("/checkout");

        var confirmation = await attacker.SubmitAsync(checkout, "form.checkout-form", Details(phone, optIn: true, name: "Attacker"));

        Assert.StartsWith("/orders/", confirmation.Url);
        var after = await factory.WithDbAsync(db => db.Contacts.AsNoTracking().Where(c => c.Phone == phone).ToListAsync());
        var victim = Assert.Single(after);
        Assert.Equal(victimId, victim.Id);
        Assert.Equal("Victim", victim.Name);
        Assert.False(victim.OptedIn);
        Assert.Null(victim.OptInSource);
        var visitor = await factory.WithDbAsync(db => db.Visitors.SingleAsync(v => v.Id == attacker.VisitorId));
        Assert.Null(visitor.ContactId);
        var order = await factory.WithDbAsync(db => db.Orders.SingleAsync(o => o.VisitorId == attacker.VisitorId));
        Assert.Null(order.ContactId);
        Assert.False(await factory.WithDbAsync(db => db.Events.AnyAsync(e => e.VisitorId == attacker.VisitorId && e.ContactId != null)));
        Assert.DoesNotContain("Victim", confirmation.Text);
    }

    [Fact]
    public async Task A_visitor_linked_by_a_tracked_link_gets_the_order_and_events_on_their_contact()
    {
        var browser = await BrowserWithCartAsync(("airpods-pro-2", 1));
        var contactId = await factory.WithDbAsync(async db =>
        {
            var contact = new Contact { Phone = NewPhone(), Name = "Linked", LinkToken = VisitorCookie.NewId(), CreatedAt = DateTime.UtcNow, OptedIn = true };
            db.Contacts.Add(contact);
            await db.SaveChangesAsync();
            var visitor = await db.Visitors.SingleAsync(v => v.Id == browser.VisitorId);
            visitor.ContactId = contact.Id;
            await db.SaveChangesAsync();
            return contact.Id;
        });
        var checkout = await browser.GetAsync("/checkout");

        // A different phone typed at checkout does not move the visitor off the contact their link proved.
        var confirmation = await browser.SubmitAsync(checkout, "form.checkout-form", Details(NewPhone()));

        var order = await factory.WithDbAsync(db => db.Orders.SingleAsync(o => o.PublicId == confirmation.Url.Substring(8)));
        Assert.Equal(contactId, order.ContactId);
        var purchase = await factory.WithDbAsync(db => db.Events.SingleAsync(e => e.VisitorId == browser.VisitorId && e.Type == EventTypes.Purchase));
        Assert.Equal(contactId, purchase.ContactId);
    }

    [Fact]
    public async Task Checkout_and_purchase_events_are_written_by_the_server()
    {
        var browser = await BrowserWithCartAsync(("garmin-forerunner-265", 2), ("fitbit-charge-6-coral", 1));
        var checkout = await browser.GetAsync("/checkout");
        var confirmation = await browser.SubmitAsync(checkout, "form.checkout-form", Details(NewPhone()));
        var publicId = confirmation.Url["/orders/".Length..];

        var events = await factory.WithDbAsync(db => db.Events.Where(e => e.VisitorId == browser.VisitorId).OrderBy(e => e.Id).ToListAsync());
        Assert.All(events, e => Assert.Equal(EventSource.Server, e.Source));
        Assert.Single(events, e => e.Type == EventTypes.Checkout);
        var purchases = events.Where(e => e.Type == EventTypes.Purchase).ToList();
        Assert.Equal(2, purchases.Count);
        var garminId = await factory.WithDbAsync(db => db.Products.Where(p => p.Slug == "garmin-forerunner-265").Select(p => p.Id).SingleAsync());
        var garmin = JsonDocument.Parse(purchases.Single(p => p.ProductId == garminId).Data!).RootElement;
        Assert.Equal(2, garmin.GetProperty("qty").GetInt32());
        Assert.Equal(89800, garmin.GetProperty("cents").GetInt64());
        Assert.Equal(publicId, garmin.GetProperty("order").GetString());
    }
}
