using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Analytics;

/// <summary>
/// <c>seed-demo</c> creates the campaigns its messages belong to, so a real campaign made afterwards
/// starts empty, and it never shows a message sent to a contact without consent. SQLite only: the
/// generator writes SQLite files only, so this runs on SQLite in both suite passes.
/// </summary>
public sealed class DemoCampaignTests : IAsyncLifetime
{
    private readonly AdminFactory _factory = new(HappiTrackFactory.NewDatabasePath(), provider: DatabaseProvider.Sqlite);

    public async Task InitializeAsync()
    {
        await using var scope = _factory.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DemoDataGenerator>().RunAsync(
            new DemoDataOptions(Events: 4000, Visitors: 300, Contacts: 80, Orders: 60, Days: 20, Seed: 7), TextWriter.Null);
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Demo_messages_belong_to_named_demo_campaigns_and_none_reached_a_contact_without_opt_in()
    {
        var demo = await _factory.WithDbAsync(db => db.Set<Campaign>().AsNoTracking().ToListAsync());
        Assert.Equal(5, demo.Count);
        Assert.All(demo, c => Assert.True(c.IsDemo && c.Name.StartsWith("Demo: ", StringComparison.Ordinal)));
        var ids = demo.Select(c => (int?)c.Id).ToList();
        var campaignNudges = await _factory.WithDbAsync(db => db.Set<Nudge>().AsNoTracking().Where(n => n.Kind == NudgeKinds.Campaign).ToListAsync());
        Assert.NotEmpty(campaignNudges);
        Assert.All(campaignNudges, n => Assert.Contains(n.CampaignId, ids));
        Assert.All(demo, c => Assert.Equal(campaignNudges.Count(n => n.CampaignId == c.Id), c.Matched));

        var withoutConsent = await _factory.WithDbAsync(db => db.Set<Nudge>().AsNoTracking()
            .Where(n => !n.Contact.OptedIn || n.Contact.OptedOut).Select(n => new { n.Status, n.Reason, n.SentAt, n.ClickedAt }).ToListAsync());
        Assert.NotEmpty(withoutConsent);
        Assert.All(withoutConsent, n =>
        {
            Assert.Equal((NudgeStatuses.Suppressed, GuardReasons.NoOptIn), (n.Status, n.Reason));
            Assert.Null(n.SentAt);
            Assert.Null(n.ClickedAt);
        });
        Assert.Equal(0, await _factory.WithDbAsync(db => db.Orders.CountAsync(o => o.AttributedNudgeId != null
            && db.Set<Nudge>().Any(n => n.Id == o.AttributedNudgeId && !n.Contact.OptedIn))));
    }

    [Fact]
    public async Task A_real_campaign_after_the_demo_starts_with_only_its_own_messages_and_its_counters_add_up()
    {
        var api = _factory.NewClient().WithBearer(AdminFactory.ConfiguredApiToken);
        var response = await api.BroadcastConfirmedAsync("First real one", "Hi {name}: {link}", new { });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = sent.GetProperty("campaignId").GetInt32();
        var matched = sent.GetProperty("matched").GetInt32();

        Assert.Equal(matched, await _factory.WithDbAsync(db => db.Set<Nudge>().CountAsync(n => n.CampaignId == id)));
        var list = JsonDocument.Parse(await api.GetStringAsync("/api/campaign/logs")).RootElement.EnumerateArray().ToList();
        Assert.Equal(6, list.Count);
        foreach (var c in list)
        {
            int N(string name) => c.GetProperty(name).GetInt32();
            Assert.Equal(N("matched"), N("heldBack") + N("heldOut") + N("waiting") + N("sent") + N("failed"));
            Assert.True(N("clicked") <= N("sent"));
        }
        var real = list.Single(c => c.GetProperty("id").GetInt32() == id);
        Assert.Equal((matched, 0), (real.GetProperty("matched").GetInt32(), real.GetProperty("sent").GetInt32()));
    }
}
