using System.Buffers.Text;
using System.Security.Cryptography;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Rules;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Tokens;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Brain;

/// <summary>
/// Arranges brain scenarios on the real app and database: contacts, linked visitors, stored events
/// (as the ingestion writer and the cart store them) and runs the real jobs with the fake clock.
/// </summary>
internal sealed class BrainKit(HappiTrackFactory app)
{
    public const string Featured = "lenovo-loq-15";

    public DateTime Now => app.Clock.GetUtcNow().UtcDateTime;

    public Task<int> ProductIdAsync(string slug) =>
        app.WithDbAsync(db => db.Products.Where(p => p.Slug == slug).Select(p => p.Id).FirstAsync());

    public async Task<Contact> ContactAsync(string phone = "+4915112345678", string name = "Amina", bool optedIn = true, bool optedOut = false)
    {
        var contact = new Contact
        {
            Phone = phone, Name = name, LinkToken = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)),
            CreatedAt = Now, OptedIn = optedIn, OptedOut = optedOut, OptInSource = "api",
        };
        await app.WithDbAsync(async db => { db.Contacts.Add(contact); await db.SaveChangesAsync(); });
        return contact;
    }

    public async Task<string> VisitorAsync(int? contactId = null)
    {
        var id = VisitorCookie.NewId();
        await app.WithDbAsync(async db =>
        {
            db.Visitors.Add(new Visitor { Id = id, FirstSeenAt = Now, LastSeenAt = Now, ContactId = contactId, LinkedAt = contactId is null ? null : Now });
            await db.SaveChangesAsync();
        });
        return id;
    }

    public Task LinkAsync(string visitorId, int contactId) => app.WithDbAsync(async db =>
    {
        var v = await db.Visitors.FirstAsync(x => x.Id == visitorId);
        v.ContactId = contactId;
        v.LinkedAt = Now;
        await db.SaveChangesAsync();
    });

    public Task EventAsync(string visitorId, string type, string? slug = null, EventSource source = EventSource.Client) => app.WithDbAsync(async db =>
    {
        var visitor = await db.Visitors.FirstAsync(v => v.Id == visitorId);
        int? productId = slug is null ? null : await db.Products.Where(p => p.Slug == slug).Select(p => (int?)p.Id).FirstAsync();
        db.Events.Add(new TrackEvent
        {
            Type = type, VisitorId = visitorId, ContactId = visitor.ContactId, ProductId = productId,
            Source = source, OccurredAt = Now, Path = slug is null ? "/" : $"/product/{slug}",
        });
        await db.SaveChangesAsync();
    });

    /// <summary>What the cart does on "add to cart": the line and the server's authoritative event, together.</summary>
    public async Task AddToCartAsync(string visitorId, string slug, int quantity = 1)
    {
        await app.WithDbAsync(async db =>
        {
            var productId = await db.Products.Where(p => p.Slug == slug).Select(p => p.Id).FirstAsync();
            var cart = await db.Carts.Include(c => c.Lines).FirstOrDefaultAsync(c => c.VisitorId == visitorId);
            if (cart is null) db.Carts.Add(cart = new ShoppingCart(visitorId, Now));
            cart.Add(productId, quantity, Now);
            await db.SaveChangesAsync();
        });
        await EventAsync(visitorId, EventTypes.AddToCart, slug, EventSource.Server);
    }

    /// <summary>An order as checkout stores it: order, purchase events, emptied cart.</summary>
    public async Task PlaceOrderAsync(string visitorId, string slug, int? contactId)
    {
        await app.WithDbAsync(async db =>
        {
            var product = await db.Products.FirstAsync(p => p.Slug == slug);
            db.Orders.Add(new Order
            {
                PublicId = VisitorCookie.NewId(), VisitorId = visitorId, ContactId = contactId, CustomerName = "Amina", Phone = "+4915112345678",
                SubtotalCents = product.PriceCents, TotalCents = product.PriceCents, PlacedAt = Now,
                Lines = [new OrderLine { ProductId = product.Id, ProductSlug = slug, ProductName = product.Name, UnitPriceCents = product.PriceCents, Quantity = 1, LineTotalCents = product.PriceCents }],
            });
            var cart = await db.Carts.Include(c => c.Lines).FirstOrDefaultAsync(c => c.VisitorId == visitorId);
            cart?.Clear(Now);
            await db.SaveChangesAsync();
        });
        await EventAsync(visitorId, EventTypes.Purchase, slug, EventSource.Server);
    }

    public Task<int> ProjectAsync() => RunAsync<EventProjector, int>(j => j.RunAsync());
    public Task<int> DispatchAsync() => RunAsync<OutboxProcessor, int>(j => j.RunAsync());
    public Task<int> AbandonedCartsAsync() => RunAsync<CartAbandonmentJob, int>(j => j.RunAsync());
    public Task<int> ExpireTokensAsync() => RunAsync<TokensExpireJob, int>(j => j.RunAsync());

    public async Task<TResult> RunAsync<TJob, TResult>(Func<TJob, Task<TResult>> run) where TJob : notnull
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await run(scope.ServiceProvider.GetRequiredService<TJob>());
    }

    public Task<List<Nudge>> NudgesAsync(int contactId) =>
        app.WithDbAsync(db => db.Set<Nudge>().AsNoTracking().Include(n => n.Token).Where(n => n.ContactId == contactId).OrderBy(n => n.Id).ToListAsync());

    public Task UpdateSettingsAsync(Action<RuleSettings> change) => app.WithDbAsync(async db =>
    {
        var service = new RuleSettingsService(db, app.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>(), app.Clock);
        var settings = await service.GetAsync();
        change(settings);
        var result = await service.UpdateAsync(settings, "test");
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Key + ": " + e.Value)));
    });

    public async Task<TokenCheck> RedeemAsync(string? value, int? contactId, IReadOnlyList<PricedLine> lines)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TokenService>().RedeemAsync(value, contactId, lines, orderId: null);
    }

    public async Task<TokenCheck> CheckAsync(string? value, int? contactId, IReadOnlyList<PricedLine> lines)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TokenService>().CheckAsync(value, contactId, lines);
    }
}
