using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HappiTrack.Web.Features.Audit;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Infrastructure;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Crm;

/// <summary>
/// Issue 17 item 2 through the API: <c>POST /api/campaign/schedule</c> under the send's preview rules, with the time on
/// the shop's wall clock (Europe/Berlin: it changes its clocks, so a wall time can happen twice), <c>GET /api/campaign/{id}</c>
/// and <c>POST /api/campaign/{id}/cancel</c>; started by the <c>campaigns:start</c> job on the fake clock.
/// </summary>
public sealed class CampaignScheduleApiTests : IAsyncLifetime
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private const string Message = "Hi {name}: {link}";
    private readonly CrmKit _kit = new(app => app.Settings["Shop:TimeZone"] = "Europe/Berlin");

    public async Task InitializeAsync()
    {
        await _kit.Brain.ContactAsync("+4915100000001", "Ann");
        await _kit.Brain.ContactAsync("+4915100000002", "Ben");
        await _kit.Brain.ContactAsync("+4915100000003", "Eve", optedIn: false);
    }

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    /// <summary>Tomorrow at <paramref name="hour"/>:30 on the shop's wall clock.</summary>
    private DateTime ShopTomorrowAt(int hour) => TimeZoneInfo.ConvertTimeFromUtc(_kit.Brain.Now, Berlin).Date.AddDays(1).AddHours(hour).AddMinutes(30);

    private static string Wall(DateTime local) => local.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private Task<HttpResponseMessage> ScheduleAsync(object body) => _kit.Api.PostAsJsonAsync("/api/campaign/schedule", body);

    private async Task<string> DryRunAsync(string scheduleAt, string message = Message)
    {
        var response = await ScheduleAsync(new { message, segment = new { }, scheduleAt, dryRun = true });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await JsonAsync(response);
        Assert.Equal(2, json.GetProperty("reach").GetInt32());
        return json.GetProperty("previewId").GetString()!;
    }

    private async Task<int> ScheduledAsync(string name, DateTime local)
    {
        var response = await ScheduleAsync(new { name, message = Message, segment = new { }, scheduleAt = Wall(local), confirm = 2 });
        Assert.True(HttpStatusCode.Created == response.StatusCode, await response.Content.ReadAsStringAsync());
        return (await JsonAsync(response)).GetProperty("campaignId").GetInt32();
    }

    private Task<int> StartDueAsync() => _kit.Brain.RunAsync<CampaignStartJob, int>(j => j.RunAsync(CancellationToken.None));

    private Task<int> NudgesAsync(int id) => _kit.App.WithDbAsync(db => db.Set<Nudge>().CountAsync(n => n.CampaignId == id));

    private Task<int> CampaignsAsync() => _kit.App.WithDbAsync(db => db.Set<Campaign>().CountAsync());

    private async Task<JsonElement> StateAsync(int id)
    {
        var response = await _kit.Api.GetAsync($"/api/campaign/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await JsonAsync(response);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.True(status == response.StatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await JsonAsync(response);
    }

    [Fact]
    public async Task A_campaign_scheduled_after_a_dry_run_waits_and_the_start_job_sends_it_at_its_time()
    {
        var local = ShopTomorrowAt(10);
        var expectedUtc = TimeZoneInfo.ConvertTimeToUtc(local, Berlin);
        var previewId = await DryRunAsync(Wall(local));
        Assert.Equal(0, await CampaignsAsync());

        var response = await ScheduleAsync(new { name = "Morning", message = Message, segment = new { }, scheduleAt = Wall(local), previewId });
        Assert.True(HttpStatusCode.Created == response.StatusCode, await response.Content.ReadAsStringAsync());
        var created = await JsonAsync(response);
        var id = created.GetProperty("campaignId").GetInt32();
        Assert.Equal($"/api/campaign/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(CampaignStates.Scheduled, created.GetProperty("state").GetString());
        Assert.Equal(2, created.GetProperty("reachAtConfirmation").GetInt32());

        var state = await StateAsync(id);
        Assert.Equal(CampaignStates.Scheduled, state.GetProperty("state").GetString());
        Assert.Equal(expectedUtc, state.GetProperty("scheduledFor").GetDateTime().ToUniversalTime());
        Assert.Equal(local.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture), state.GetProperty("scheduledForShopTime").GetString());
        Assert.Equal("Europe/Berlin", state.GetProperty("shopTimeZone").GetString());
        Assert.Equal(JsonValueKind.Null, state.GetProperty("startedAt").ValueKind);

        Assert.Equal(0, await StartDueAsync());
        _kit.App.Clock.Advance(expectedUtc - _kit.Brain.Now - TimeSpan.FromMinutes(1));
        Assert.Equal(0, await StartDueAsync());
        Assert.Equal(0, await NudgesAsync(id));

        _kit.App.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await StartDueAsync());
        Assert.Equal(2, await _kit.Brain.DispatchAsync());
        state = await StateAsync(id);
        Assert.Equal(CampaignStates.Sent, state.GetProperty("state").GetString());
        Assert.Equal(_kit.Brain.Now, state.GetProperty("startedAt").GetDateTime().ToUniversalTime());
        Assert.Equal(2, state.GetProperty("queued").GetInt32());
        Assert.Equal(3, state.GetProperty("matched").GetInt32());

        var audit = await _kit.App.WithDbAsync(db => db.Set<AuditEntry>().AsNoTracking().Where(e => e.Target == $"campaign:{id}").OrderBy(e => e.Id).ToListAsync());
        Assert.Equal([AuditActions.CampaignSchedule, AuditActions.CampaignSend], audit.Select(e => e.Action).ToArray());
        Assert.Equal("api-token:configuration", audit[0].Actor);
    }

    [Fact]
    public async Task A_campaign_cancelled_before_it_starts_sends_nothing_and_a_second_cancel_is_a_conflict()
    {
        var id = await ScheduledAsync("Called off", ShopTomorrowAt(10));
        var keep = await ScheduledAsync("Kept", ShopTomorrowAt(10));

        var cancel = await _kit.Api.PostAsync($"/api/campaign/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var state = await JsonAsync(cancel);
        Assert.Equal(CampaignStates.Cancelled, state.GetProperty("state").GetString());
        Assert.Equal("api-token:configuration", state.GetProperty("cancelledBy").GetString());
        Assert.Equal(CampaignStates.Cancelled, (await StateAsync(id)).GetProperty("state").GetString());

        var again = await ProblemAsync(await _kit.Api.PostAsync($"/api/campaign/{id}/cancel", null), HttpStatusCode.Conflict);
        Assert.Equal(CampaignStates.Cancelled, again.GetProperty("state").GetString());

        _kit.App.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await StartDueAsync());
        Assert.Equal(0, await NudgesAsync(id));
        Assert.Equal(3, await NudgesAsync(keep));
        var entries = await _kit.App.WithDbAsync(db => db.Set<AuditEntry>().AsNoTracking().Where(e => e.Action == AuditActions.CampaignCancel).ToListAsync());
        var entry = Assert.Single(entries);
        Assert.Equal($"campaign:{id}", entry.Target);
        Assert.Equal("api-token:configuration", entry.Actor);

        await ProblemAsync(await _kit.Api.PostAsync("/api/campaign/999/cancel", null), HttpStatusCode.NotFound);
        await ProblemAsync(await _kit.Api.GetAsync("/api/campaign/999"), HttpStatusCode.NotFound);
        await ProblemAsync(await _kit.Api.PostAsync("/api/campaign/abc/cancel", null), HttpStatusCode.BadRequest);
        await ProblemAsync(await _kit.Api.GetAsync("/api/campaign/-1"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_campaign_that_started_cannot_be_cancelled()
    {
        var id = await ScheduledAsync("Started", ShopTomorrowAt(10));
        _kit.App.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await StartDueAsync());

        var refused = await ProblemAsync(await _kit.Api.PostAsync($"/api/campaign/{id}/cancel", null), HttpStatusCode.Conflict);
        Assert.Equal(CampaignStates.Sent, refused.GetProperty("state").GetString());
        Assert.Equal(CampaignStates.Sent, (await StateAsync(id)).GetProperty("state").GetString());
        Assert.Equal(2, await _kit.Brain.DispatchAsync());
        Assert.Equal(0, await _kit.App.WithDbAsync(db => db.Set<AuditEntry>().CountAsync(e => e.Action == AuditActions.CampaignCancel)));
    }

    [Fact]
    public async Task A_missing_stale_foreign_or_miscounted_confirmation_schedules_nothing()
    {
        var at = Wall(ShopTomorrowAt(10));
        object Body(string? previewId = null, int? confirm = null, string message = Message) =>
            new { name = "x", message, segment = new { }, scheduleAt = at, previewId, confirm };

        var missing = await ProblemAsync(await ScheduleAsync(Body()), HttpStatusCode.BadRequest);
        Assert.True(missing.GetProperty("errors").TryGetProperty("confirm", out _));
        var foreign = await ProblemAsync(await ScheduleAsync(Body(previewId: "not-a-preview")), HttpStatusCode.BadRequest);
        Assert.True(foreign.GetProperty("errors").TryGetProperty("previewId", out _));

        var changed = await ProblemAsync(await ScheduleAsync(Body(previewId: await DryRunAsync(at, "Other text {link}"))), HttpStatusCode.Conflict);
        Assert.Equal(nameof(SendRefusal.Changed), changed.GetProperty("reason").GetString());

        // A bare count is compared with the reach now: nothing else would ever check it.
        var miscounted = await ProblemAsync(await ScheduleAsync(Body(confirm: 5)), HttpStatusCode.Conflict);
        Assert.Equal(nameof(SendRefusal.ReachChanged), miscounted.GetProperty("reason").GetString());
        Assert.Equal(2, miscounted.GetProperty("reach").GetInt32());

        var previewId = await DryRunAsync(at);
        _kit.App.Clock.Advance(CampaignPreviews.Validity + TimeSpan.FromMinutes(1));
        var stale = await ProblemAsync(await ScheduleAsync(Body(previewId: previewId)), HttpStatusCode.Conflict);
        Assert.Equal(nameof(SendRefusal.Expired), stale.GetProperty("reason").GetString());

        Assert.Equal(0, await CampaignsAsync());
        Assert.Equal(0, await _kit.App.WithDbAsync(db => db.Set<AuditEntry>().CountAsync(e => e.Action == AuditActions.CampaignSchedule)));
    }

    /// <summary>The next wall-clock time Berlin's clocks show twice (the autumn hour), whenever the tests run.</summary>
    private DateTime NextRepeatedShopTime()
    {
        var local = TimeZoneInfo.ConvertTimeFromUtc(_kit.Brain.Now, Berlin).Date.AddDays(1);
        for (var i = 0; i < 400 * 48; i++, local = local.AddMinutes(30))
            if (Berlin.IsAmbiguousTime(local)) return local;
        throw new InvalidOperationException("Europe/Berlin repeats no hour in the next 400 days.");
    }

    [Fact]
    public async Task A_time_with_an_offset_repeated_by_the_clocks_past_or_too_far_ahead_is_refused()
    {
        var tomorrow = ShopTomorrowAt(10);
        var local = TimeZoneInfo.ConvertTimeFromUtc(_kit.Brain.Now, Berlin);
        string?[] refused =
        [
            null, "soon", "2026-13-45T10:00",
            Wall(tomorrow) + "Z", Wall(tomorrow) + "+01:00", Wall(tomorrow) + "-05:00",
            Wall(NextRepeatedShopTime()),
            Wall(local.AddHours(-2)),
            Wall(local.AddDays(91)),
        ];
        foreach (var scheduleAt in refused)
        {
            var problem = await ProblemAsync(await ScheduleAsync(new { name = "x", message = Message, segment = new { }, scheduleAt, confirm = 2 }), HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("scheduleAt", out var errors), $"{scheduleAt}: {problem}");
            if (scheduleAt == Wall(NextRepeatedShopTime())) Assert.Contains("happens twice", errors[0].GetString());
        }
        // The same body on /broadcast would go out now, so it is refused there too.
        await ProblemAsync(await _kit.Api.PostAsJsonAsync("/api/campaign/broadcast",
            new { name = "x", message = Message, segment = new { }, scheduleAt = Wall(tomorrow), confirm = 2 }), HttpStatusCode.BadRequest);
        Assert.Equal(0, await CampaignsAsync());
        Assert.Equal(0, await _kit.App.WithDbAsync(db => db.Set<Nudge>().CountAsync()));
    }

    [Fact]
    public async Task Callers_without_a_valid_token_get_401_and_an_analyst_403()
    {
        var id = await ScheduledAsync("Guarded", ShopTomorrowAt(10));
        await _kit.App.CreateUserAsync("analyst@example.com", "analyst password 1", AuthPolicies.AnalystRole);
        var analyst = await _kit.App.SignedInClientAsync("analyst@example.com", "analyst password 1");
        // With a valid antiforgery token, so it is the role that refuses the analyst's POSTs.
        analyst.DefaultRequestHeaders.Add(AdminApiEndpoints.AntiforgeryHeader, await Admin.AdminFactory.AntiforgeryTokenAsync(analyst, "/admin/login"));
        var body = new { name = "y", message = Message, segment = new { }, scheduleAt = Wall(ShopTomorrowAt(11)), confirm = 2 };
        foreach (var (client, status) in new[]
                 {
                     (_kit.App.NewClient(), HttpStatusCode.Unauthorized),
                     (_kit.App.NewClient().WithBearer("not-the-token"), HttpStatusCode.Unauthorized),
                     (analyst, HttpStatusCode.Forbidden),
                 })
        {
            Assert.Equal(status, (await client.PostAsJsonAsync("/api/campaign/schedule", body)).StatusCode);
            Assert.Equal(status, (await client.GetAsync($"/api/campaign/{id}")).StatusCode);
            Assert.Equal(status, (await client.PostAsync($"/api/campaign/{id}/cancel", null)).StatusCode);
        }
        Assert.Equal(1, await CampaignsAsync());
        Assert.Equal(CampaignStates.Scheduled, (await StateAsync(id)).GetProperty("state").GetString());
    }
}
