using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Tokens;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Brain;

/// <summary>The projector and rules over the real database, with events stored as the tracker and cart store them.</summary>
public class BrainRulesTests : IAsyncLifetime
{
    private readonly HappiTrackFactory _app = new();
    private BrainKit Kit => new(_app);

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<(Contact Contact, string Visitor)> LinkedShopperAsync(bool optedIn = true, bool optedOut = false)
    {
        var contact = await Kit.ContactAsync(optedIn: optedIn, optedOut: optedOut);
        return (contact, await Kit.VisitorAsync(contact.Id));
    }

    private async Task WalkthroughInterestAsync(string visitor)
    {
        await Kit.EventAsync(visitor, EventTypes.PageView);
        await Kit.EventAsync(visitor, EventTypes.ProductView, BrainKit.Featured);
        await Kit.EventAsync(visitor, EventTypes.LingerSpecs, BrainKit.Featured);
        await Kit.AddToCartAsync(visitor, BrainKit.Featured);
    }

    [Fact]
    public async Task Crossing_60_on_the_featured_product_writes_exactly_one_10_percent_nudge()
    {
        var (contact, visitor) = await LinkedShopperAsync();
        await Kit.EventAsync(visitor, EventTypes.ProductView, BrainKit.Featured);
        await Kit.EventAsync(visitor, EventTypes.LingerSpecs, BrainKit.Featured);
        await Kit.ProjectAsync();
        Assert.Empty(await Kit.NudgesAsync(contact.Id)); // 20 < 60

        await Kit.AddToCartAsync(visitor, BrainKit.Featured);
        await Kit.ProjectAsync();
        await Kit.ProjectAsync();
        await Kit.EventAsync(visitor, EventTypes.LingerSpecs, BrainKit.Featured);
        await Kit.ProjectAsync();

        var nudge = Assert.Single(await Kit.NudgesAsync(contact.Id));
        Assert.Equal(NudgeKinds.InterestDiscount, nudge.Kind);
        Assert.Equal(NudgeStatuses.Queued, nudge.Status);
        Assert.Equal(10, nudge.Token!.Percent);
        Assert.Equal(TokenScope.Product, nudge.Token.Scope);
        Assert.Equal(await Kit.ProductIdAsync(BrainKit.Featured), nudge.Token.ProductId);
        Assert.Equal(Kit.Now.AddHours(48), nudge.Token.ExpiresAt);
        Assert.Contains("10%", nudge.Message);
        Assert.Contains(nudge.Link, nudge.Message);
        Assert.Matches("/r/[A-Za-z0-9_-]{22}$", nudge.Link);
        Assert.Equal(TokenValue.Hash(nudge.TokenValue!), nudge.Token.Hash);
    }

    [Fact]
    public async Task The_interest_offer_for_a_product_is_not_repeated_within_30_days()
    {
        var (contact, visitor) = await LinkedShopperAsync();
        await WalkthroughInterestAsync(visitor);
        await Kit.ProjectAsync();
        // Let the score decay far below 60, then cross again: still within 30 days.
        _app.Clock.Advance(TimeSpan.FromDays(29));
        await WalkthroughInterestAsync(visitor);
        await Kit.ProjectAsync();
        Assert.Single(await Kit.NudgesAsync(contact.Id), n => n.Kind == NudgeKinds.InterestDiscount);

        _app.Clock.Advance(TimeSpan.FromDays(60));
        await WalkthroughInterestAsync(visitor);
        await Kit.ProjectAsync();
        Assert.Equal(2, (await Kit.NudgesAsync(contact.Id)).Count(n => n.Kind == NudgeKinds.InterestDiscount));
    }

    [Fact]
    public async Task No_interest_offer_is_made_for_a_product_the_contact_already_bought()
    {
        var (contact, visitor) = await LinkedShopperAsync();
        await Kit.AddToCartAsync(visitor, BrainKit.Featured);
        await Kit.PlaceOrderAsync(visitor, BrainKit.Featured, contact.Id); // 50 + 30 crosses 60
        await Kit.ProjectAsync();
        Assert.Empty(await Kit.NudgesAsync(contact.Id));
    }

    [Fact]
    public async Task Anonymous_interest_moves_to_the_contact_when_the_visitor_is_linked()
    {
        var contact = await Kit.ContactAsync();
        var visitor = await Kit.VisitorAsync();
        await Kit.EventAsync(visitor, EventTypes.ProductView, BrainKit.Featured);
        await Kit.EventAsync(visitor, EventTypes.LingerSpecs, BrainKit.Featured);
        await Kit.AddToCartAsync(visitor, BrainKit.Featured);
        await Kit.ProjectAsync();
        Assert.Empty(await Kit.NudgesAsync(contact.Id));

        await Kit.LinkAsync(visitor, contact.Id);
        await Kit.ProjectAsync();

        var rows = await _app.WithDbAsync(db => db.Set<InterestScore>().AsNoTracking().ToListAsync());
        Assert.DoesNotContain(rows, r => r.VisitorId == visitor);
        var product = Assert.Single(rows, r => r.ContactId == contact.Id && r.Dimension == InterestDimension.Product);
        Assert.Equal(70, product.Score, 6);
        Assert.Contains(rows, r => r.ContactId == contact.Id && r.Dimension == InterestDimension.Tag);
        Assert.Single(await Kit.NudgesAsync(contact.Id), n => n.Kind == NudgeKinds.InterestDiscount);
    }

    [Fact]
    public async Task A_forged_stream_of_client_events_is_capped_per_hour()
    {
        var (contact, visitor) = await LinkedShopperAsync();
        for (var i = 0; i < 40; i++) await Kit.EventAsync(visitor, EventTypes.LingerSpecs, BrainKit.Featured);
        await Kit.ProjectAsync();

        var score = await _app.WithDbAsync(db => db.Set<InterestScore>().Where(s => s.ContactId == contact.Id && s.Dimension == InterestDimension.Product).Select(s => s.Score).SingleAsync());
        Assert.Equal(60, score, 6);
        Assert.Single(await Kit.NudgesAsync(contact.Id)); // 60 reaches the threshold, but no further

        _app.Clock.Advance(TimeSpan.FromHours(1));
        await Kit.EventAsync(visitor, EventTypes.LingerSpecs, BrainKit.Featured);
        await Kit.ProjectAsync();
        var later = await _app.WithDbAsync(db => db.Set<InterestScore>().Where(s => s.ContactId == contact.Id && s.Dimension == InterestDimension.Product).Select(s => s.Score).SingleAsync());
        Assert.True(later > 60, "a new hour brings a new budget");
    }

    [Fact]
    public async Task Exit_intent_with_items_writes_one_rescue_with_a_snapshot_of_the_cart()
    {
        var (contact, visitor) = await LinkedShopperAsync();
        await Kit.AddToCartAsync(visitor, "lenovo-loq-15");
        await Kit.ProjectAsync();
        await Kit.EventAsync(visitor, EventTypes.ExitIntent);
        await Kit.EventAsync(visitor, EventTypes.ExitIntent);
        await Kit.ProjectAsync();
        await Kit.AbandonedCartsAsync();
        _app.Clock.Advance(TimeSpan.FromMinutes(31));
        await Kit.AbandonedCartsAsync();

        var rescue = Assert.Single(await Kit.NudgesAsync(contact.Id), n => n.Kind == NudgeKinds.CartRescue);
        Assert.Contains("\"ProductId\":" + await Kit.ProductIdAsync("lenovo-loq-15"), rescue.CartSnapshot);
        Assert.Equal(TokenScope.Cart, rescue.Token!.Scope);
        Assert.Equal(rescue.CreatedAt.AddHours(24), rescue.ExpiresAt);
    }

    [Fact]
    public async Task Exit_intent_with_an_empty_cart_or_from_an_anonymous_visitor_writes_nothing()
    {
        var (contact, visitor) = await LinkedShopperAsync();
        await Kit.EventAsync(visitor, EventTypes.ExitIntent);
        var anonymous = await Kit.VisitorAsync();
        await Kit.AddToCartAsync(anonymous, "lenovo-loq-15");
        await Kit.EventAsync(anonymous, EventTypes.ExitIntent);
        await Kit.ProjectAsync();
        Assert.Empty(await _app.WithDbAsync(db => db.Set<Nudge>().ToListAsync()));
    }

    [Fact]
    public async Task An_idle_cart_is_rescued_after_30_minutes_not_before()
    {
        var (contact, visitor) = await LinkedShopperAsync();
        await _app.WithDbAsync(async db => { db.Carts.Add(new Web.Features.Cart.ShoppingCart(visitor, Kit.Now)); await db.SaveChangesAsync(); });
        await Kit.AddToCartAsync(visitor, "lenovo-loq-15");
        _app.Clock.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(0, await Kit.AbandonedCartsAsync());
        _app.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await Kit.AbandonedCartsAsync());
        Assert.Equal(0, await Kit.AbandonedCartsAsync());
        Assert.Single(await Kit.NudgesAsync(contact.Id), n => n.Kind == NudgeKinds.CartRescue);
    }

    [Fact]
    public async Task Checking_out_before_the_rescue_is_sent_cancels_it()
    {
        var (contact, visitor) = await LinkedShopperAsync();
        await Kit.AddToCartAsync(visitor, "lenovo-loq-15");
        await Kit.EventAsync(visitor, EventTypes.ExitIntent);
        await Kit.ProjectAsync();
        await Kit.UpdateSettingsAsync(s => s.InterestDiscount.Enabled = false);
        _app.Clock.Advance(TimeSpan.FromMinutes(5));
        await Kit.PlaceOrderAsync(visitor, "lenovo-loq-15", contact.Id);
        await Kit.ProjectAsync();
        await Kit.DispatchAsync();

        var rescue = Assert.Single(await Kit.NudgesAsync(contact.Id), n => n.Kind == NudgeKinds.CartRescue);
        Assert.Equal(NudgeStatuses.Cancelled, rescue.Status);
        Assert.Equal("checked_out", rescue.Reason);
        Assert.Null(rescue.SentAt);
    }

    [Fact]
    public async Task The_third_order_makes_the_contact_vip_once_with_a_50_percent_token()
    {
        var (contact, visitor) = await LinkedShopperAsync();
        await Kit.UpdateSettingsAsync(s => s.InterestDiscount.Enabled = false);
        await Kit.PlaceOrderAsync(visitor, "lenovo-loq-15", contact.Id);
        await Kit.PlaceOrderAsync(visitor, "lenovo-loq-15", contact.Id);
        await Kit.ProjectAsync();
        Assert.False(await _app.WithDbAsync(db => db.Contacts.Where(c => c.Id == contact.Id).Select(c => c.VipStatus).SingleAsync()));

        await Kit.PlaceOrderAsync(visitor, "lenovo-loq-15", contact.Id);
        await Kit.ProjectAsync();
        await Kit.PlaceOrderAsync(visitor, "lenovo-loq-15", contact.Id);
        await Kit.ProjectAsync();

        Assert.True(await _app.WithDbAsync(db => db.Contacts.Where(c => c.Id == contact.Id).Select(c => c.VipStatus).SingleAsync()));
        var vip = Assert.Single(await Kit.NudgesAsync(contact.Id), n => n.Kind == NudgeKinds.VipUpgrade);
        Assert.Equal(50, vip.Token!.Percent);
        Assert.Equal(TokenScope.Order, vip.Token.Scope);
        Assert.Equal(vip.CreatedAt.AddDays(30), vip.Token.ExpiresAt);
    }

    [Fact]
    public async Task An_opted_out_or_never_opted_in_contact_gets_nothing_and_no_token()
    {
        var (optedOut, v1) = await LinkedShopperAsync(optedOut: true);
        var (neverIn, v2) = await Kit.ContactAsync("+4915112345679", optedIn: false) is var c ? (c, await Kit.VisitorAsync(c.Id)) : default;
        await WalkthroughInterestAsync(v1);
        await WalkthroughInterestAsync(v2);
        await Kit.ProjectAsync();
        await Kit.DispatchAsync();

        var a = Assert.Single(await Kit.NudgesAsync(optedOut.Id));
        Assert.Equal((NudgeStatuses.Suppressed, GuardReasons.OptedOut), (a.Status, a.Reason));
        var b = Assert.Single(await Kit.NudgesAsync(neverIn.Id));
        Assert.Equal((NudgeStatuses.Suppressed, GuardReasons.NoOptIn), (b.Status, b.Reason));
        Assert.Null(a.TokenId);
        Assert.Empty(await _app.WithDbAsync(db => db.Set<DiscountToken>().ToListAsync()));
    }

    [Fact]
    public async Task Opting_out_after_the_nudge_was_queued_stops_it()
    {
        var (contact, visitor) = await LinkedShopperAsync();
        await WalkthroughInterestAsync(visitor);
        await Kit.ProjectAsync();
        await _app.WithDbAsync(db => db.Contacts.Where(c => c.Id == contact.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.OptedOut, true)));
        Assert.Equal(0, await Kit.DispatchAsync());
        var nudge = Assert.Single(await Kit.NudgesAsync(contact.Id));
        Assert.Equal((NudgeStatuses.Suppressed, GuardReasons.OptedOut), (nudge.Status, nudge.Reason));
    }

    [Fact]
    public async Task A_second_nudge_inside_24_hours_is_deferred_and_sent_when_the_window_ends()
    {
        var (contact, visitor) = await LinkedShopperAsync();
        await WalkthroughInterestAsync(visitor);
        await Kit.ProjectAsync();
        Assert.Equal(1, await Kit.DispatchAsync());
        var firstSent = Kit.Now;

        _app.Clock.Advance(TimeSpan.FromHours(2));
        await Kit.EventAsync(visitor, EventTypes.ExitIntent);
        await Kit.ProjectAsync();
        var deferred = Assert.Single(await Kit.NudgesAsync(contact.Id), n => n.Kind == NudgeKinds.CartRescue);
        Assert.Equal((NudgeStatuses.Deferred, GuardReasons.Capped), (deferred.Status, deferred.Reason));
        Assert.Equal(firstSent.AddHours(24), deferred.SendAfter);

        _app.Clock.Advance(TimeSpan.FromHours(21.9));
        Assert.Equal(0, await Kit.DispatchAsync());
        _app.Clock.Advance(TimeSpan.FromHours(0.1));
        Assert.Equal(1, await Kit.DispatchAsync());
        // The 24 h offer runs from delivery, not from when the cap held it back.
        var sent = (await Kit.NudgesAsync(contact.Id)).Single(n => n.Id == deferred.Id);
        Assert.Equal(Kit.Now.AddHours(24), sent.Token!.ExpiresAt);
    }

    [Fact]
    public async Task A_nudge_that_the_cap_would_delay_past_its_expiry_is_suppressed_not_sent_late()
    {
        var (contact, visitor) = await LinkedShopperAsync();
        await WalkthroughInterestAsync(visitor);
        await Kit.ProjectAsync();
        Assert.Equal(1, await Kit.DispatchAsync());
        await Kit.UpdateSettingsAsync(s => s.CartRescue.ValidHours = 12);
        await Kit.EventAsync(visitor, EventTypes.ExitIntent);
        await Kit.ProjectAsync();
        var rescue = Assert.Single(await Kit.NudgesAsync(contact.Id), n => n.Kind == NudgeKinds.CartRescue);
        Assert.Equal((NudgeStatuses.Suppressed, GuardReasons.Expired), (rescue.Status, rescue.Reason));
    }

    [Fact]
    public async Task A_nudge_written_at_23_00_is_deferred_to_09_00()
    {
        var tonight = HappiTrackFactory.DefaultStart.Date.AddHours(23);
        _app.Clock.SetUtcNow(new DateTimeOffset(tonight, TimeSpan.Zero));
        var (contact, visitor) = await LinkedShopperAsync();
        await WalkthroughInterestAsync(visitor);
        await Kit.ProjectAsync();
        var nudge = Assert.Single(await Kit.NudgesAsync(contact.Id));
        Assert.Equal((NudgeStatuses.Deferred, GuardReasons.QuietHours), (nudge.Status, nudge.Reason));
        Assert.Equal(tonight.AddHours(10), nudge.SendAfter);

        _app.Clock.SetUtcNow(new DateTimeOffset(tonight.AddHours(10).AddMinutes(-1), TimeSpan.Zero));
        Assert.Equal(0, await Kit.DispatchAsync());
        _app.Clock.SetUtcNow(new DateTimeOffset(tonight.AddHours(10), TimeSpan.Zero));
        Assert.Equal(1, await Kit.DispatchAsync());
        Assert.Equal(NudgeStatuses.Sent, Assert.Single(await Kit.NudgesAsync(contact.Id)).Status);
    }

    [Fact]
    public async Task Rule_settings_edited_in_the_database_apply_to_the_next_evaluation()
    {
        var (contact, visitor) = await LinkedShopperAsync();
        await Kit.UpdateSettingsAsync(s => s.InterestDiscount.Threshold = 20);
        await Kit.EventAsync(visitor, EventTypes.ProductView, BrainKit.Featured);
        await Kit.EventAsync(visitor, EventTypes.LingerSpecs, BrainKit.Featured);
        await Kit.ProjectAsync();
        Assert.Single(await Kit.NudgesAsync(contact.Id));
    }
}
