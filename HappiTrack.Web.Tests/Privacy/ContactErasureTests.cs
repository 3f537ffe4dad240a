using System.Net;
using System.Net.Http.Json;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Privacy;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Tokens;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Crm;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Privacy;

/// <summary><c>DELETE /api/contacts/{id}</c> and the contact page's erase form (issue 18, GDPR art. 17).</summary>
public sealed class ContactErasureTests
{
    private sealed record RollupTotals(int VisitorDays, int ProductEvents, int ProductVisitors, int Orders, long Revenue);

    private static Task<RollupTotals> PastTotalsAsync(AdminFactory app) => app.WithDbAsync(async db =>
    {
        var today = HappiTrack.Web.Tests.Infrastructure.HappiTrackFactory.Today;
        return new RollupTotals(
            await db.Set<VisitorDayFact>().CountAsync(f => f.Day < today),
            await db.Set<ProductDayStat>().Where(s => s.Day < today).SumAsync(s => s.Events),
            await db.Set<ProductDayStat>().Where(s => s.Day < today).SumAsync(s => s.Visitors),
            await db.Orders.CountAsync(),
            await db.Orders.SumAsync(o => o.TotalCents));
    });

    private static async Task RefreshRollupsAsync(AdminFactory app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RollupService>().RefreshChangedDaysAsync();
    }

    [Fact]
    public async Task Erase_removes_every_listed_item_keeps_orders_and_rollups_and_blocks_the_number_after_a_restart()
    {
        var path = AdminFactory.NewDatabasePath();
        SeededContact alice, bob;
        RollupTotals before;
        await using (var app = new AdminFactory(path) { DeleteDatabaseOnDispose = false })
        {
            alice = await PrivacyKit.SeedAsync(app, "+4915100000011", "Alice Erased", events: 40);
            bob = await PrivacyKit.SeedAsync(app, "+4915100000012", "Bob Kept", events: 9);
            await RefreshRollupsAsync(app);
            before = await PastTotalsAsync(app);
            await app.WithDbAsync(async db =>
            {
                db.Add(new ContactNote { ContactId = alice.Id, Text = "Called about her order, prefers mornings", CreatedAt = PrivacyKit.Now });
                db.Add(new ContactNote { ContactId = bob.Id, Text = "Bob's note stays", CreatedAt = PrivacyKit.Now });
                await db.SaveChangesAsync();
            });
            Assert.True(before.VisitorDays >= 2 && before.ProductEvents >= (alice.Events + bob.Events) / 2, $"roll-ups were not built: {before}");
            using var api = PrivacyKit.ApiClient(app);

            var response = await api.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/api/contacts/{alice.Id}")
            {
                Content = JsonContent.Create(new { reason = "Request by email" }),
            });

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<ErasureResponse>();
            Assert.Equal(alice.Events, body!.EventsDeleted);

            await app.WithDbAsync(async db =>
            {
                var contact = await db.Contacts.AsNoTracking().SingleAsync(c => c.Id == alice.Id);
                Assert.Null(contact.Name);
                Assert.DoesNotContain("15100000011", contact.Phone);
                Assert.True(contact.OptedOut);
                Assert.False(await db.Contacts.AnyAsync(c => c.Phone == alice.Phone || c.Name == alice.Name));
                Assert.Equal(0, await db.Events.CountAsync(e => e.VisitorId == alice.VisitorId || e.ContactId == alice.Id));
                Assert.Equal(bob.Events, await db.Events.CountAsync(e => e.VisitorId == bob.VisitorId));
                Assert.False(await db.Set<ContactNote>().AnyAsync(n => n.ContactId == alice.Id));
                Assert.True(await db.Set<ContactNote>().AnyAsync(n => n.ContactId == bob.Id));
                Assert.Equal(0, await db.Set<InterestScore>().CountAsync(s => s.ContactId == alice.Id || s.VisitorId == alice.VisitorId));
                Assert.Equal(2, await db.Set<InterestScore>().CountAsync(s => s.ContactId == bob.Id || s.VisitorId == bob.VisitorId));
                var visitor = await db.Visitors.AsNoTracking().SingleAsync(v => v.Id == alice.VisitorId);
                Assert.Null(visitor.ContactId);
                Assert.Null(visitor.LinkedAt);

                var nudges = await db.Set<Nudge>().AsNoTracking().Where(n => n.ContactId == alice.Id).ToListAsync();
                Assert.Equal(2, nudges.Count);
                Assert.All(nudges, n => { Assert.Equal("", n.Message); Assert.Equal("", n.Link); Assert.Null(n.TokenValue); });
                Assert.Equal(ContactEraser.NudgeReason, Assert.Single(nudges, n => n.Status == NudgeStatuses.Cancelled).Reason);
                Assert.Single(nudges, n => n.Status == NudgeStatuses.Sent);
                Assert.All(await db.Set<Nudge>().AsNoTracking().Where(n => n.ContactId == bob.Id).ToListAsync(), n => Assert.Contains("Bob Kept", n.Message));

                var order = await db.Orders.AsNoTracking().Include(o => o.Lines).SingleAsync(o => o.PublicId == alice.OrderId);
                Assert.Equal(ContactEraser.Erased, order.CustomerName);
                Assert.Equal(ContactEraser.Erased, order.Phone);
                Assert.Equal(alice.OrderTotal, order.TotalCents);
                Assert.Single(order.Lines);
                Assert.Equal("Bob Kept", (await db.Orders.AsNoTracking().SingleAsync(o => o.PublicId == bob.OrderId)).CustomerName);

                var history = await db.Set<ConsentChange>().AsNoTracking().Where(c => c.ContactId == alice.Id).ToListAsync();
                Assert.Equal(ConsentSources.Erasure, Assert.Single(history).Source);
                var suppressed = Assert.Single(await db.Set<SuppressedPhone>().AsNoTracking().ToListAsync());
                Assert.DoesNotContain("15100000011", suppressed.Hash);
                var erasure = Assert.Single(await db.Set<ContactErasure>().AsNoTracking().ToListAsync());
                Assert.Equal("Request by email", erasure.Reason);
                Assert.Equal("api-token:configuration", erasure.Actor);
                // Tokens hold only hashes and stay for the redemption bookkeeping; the raw values went with the nudges.
                Assert.Equal(1, await db.Set<DiscountToken>().CountAsync(t => t.ContactId == alice.Id));
            });

            await RefreshRollupsAsync(app);
            Assert.Equal(before, await PastTotalsAsync(app));
        }

        await using (var restarted = new AdminFactory(path))
        {
            using var api = PrivacyKit.ApiClient(restarted);
            Assert.Equal(before, await PastTotalsAsync(restarted));

            var readd = await api.PostAsJsonAsync("/api/contacts/init", new { phone = alice.Phone, name = "Alice Again", optIn = true });

            Assert.Equal(HttpStatusCode.Created, readd.StatusCode);
            var again = await restarted.WithDbAsync(db => db.Contacts.AsNoTracking().SingleAsync(c => c.Phone == alice.Phone));
            Assert.True(again.OptedOut);
            Assert.False(again.MayBeMessaged);
            // Bob's number was never erased: consent from the API still counts for other numbers.
            var other = await api.PostAsJsonAsync("/api/contacts/init", new { phone = "+4915100000019", optIn = true });
            Assert.Equal(HttpStatusCode.Created, other.StatusCode);
            Assert.True(await restarted.WithDbAsync(db => db.Contacts.AnyAsync(c => c.Phone == "+4915100000019" && c.OptedIn && !c.OptedOut)));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("?reason=%20%20")]
    public async Task Erase_without_a_reason_is_a_400_problem_and_erases_nothing(string query)
    {
        await using var app = new AdminFactory();
        var alice = await PrivacyKit.SeedAsync(app, "+4915100000013", "Alice Kept", events: 3);
        using var api = PrivacyKit.ApiClient(app);

        var response = await api.DeleteAsync($"/api/contacts/{alice.Id}{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("reason", await response.Content.ReadAsStringAsync());
        Assert.Equal(alice.Events, await app.WithDbAsync(db => db.Events.CountAsync(e => e.VisitorId == alice.VisitorId)));
    }

    [Fact]
    public async Task The_contact_page_erases_only_when_the_typed_phone_matches()
    {
        await using var app = new AdminFactory();
        var alice = await PrivacyKit.SeedAsync(app, "+4915100000014", "Alice Page", events: 5);
        using var admin = await app.AdminClientAsync();
        var page = $"/admin/contacts/{alice.Id}";

        var wrong = await CrmKit.PostFormAsync(admin, page, page + "?handler=Erase",
            [new("reason", "asked in shop"), new("confirmPhone", "+4915100000099")]);
        var stillThere = await app.WithDbAsync(db => db.Contacts.AnyAsync(c => c.Phone == alice.Phone));
        var right = await CrmKit.PostFormAsync(admin, page, page + "?handler=Erase",
            [new("reason", "asked in shop"), new("confirmPhone", "0049 151 00000014")]);

        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("does not match", await wrong.Content.ReadAsStringAsync());
        Assert.True(stillThere);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains("Erased:", await right.Content.ReadAsStringAsync());
        await app.WithDbAsync(async db =>
        {
            Assert.False(await db.Contacts.AnyAsync(c => c.Phone == alice.Phone));
            Assert.Equal(0, await db.Events.CountAsync(e => e.VisitorId == alice.VisitorId));
            Assert.Equal("asked in shop", (await db.Set<ContactErasure>().SingleAsync()).Reason);
            Assert.Equal(AdminFactory.AdminEmail, (await db.Set<ContactErasure>().SingleAsync()).Actor);
        });
    }
}
