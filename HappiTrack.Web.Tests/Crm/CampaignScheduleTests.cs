using System.Globalization;
using System.Net;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Features.Audit;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Tests.Admin;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Crm;

/// <summary>
/// Scheduling on the page, in the shop's time zone (Asia/Tokyo: UTC+9 all year, so a time read as
/// UTC would be nine hours off), started by the <c>campaigns:start</c> job, and cancelled before it starts.
/// </summary>
public sealed class CampaignScheduleTests : IAsyncLifetime
{
    private static readonly TimeZoneInfo Tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
    private readonly CrmKit _kit = new(app => app.Settings["Shop:TimeZone"] = "Asia/Tokyo");
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        await _kit.Brain.ContactAsync("+4915100000001", "Ann");
        await _kit.Brain.ContactAsync("+4915100000002", "Ben");
        await _kit.Brain.ContactAsync("+4915100000003", "Eve", optedIn: false);
        _admin = await _kit.AdminAsync();
    }

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    /// <summary>Tomorrow at <paramref name="hour"/>:30 on the shop's wall clock.</summary>
    private DateTime ShopTomorrowAt(int hour) => TimeZoneInfo.ConvertTimeFromUtc(_kit.Brain.Now, Tokyo).Date.AddDays(1).AddHours(hour).AddMinutes(30);

    private async Task<int> ScheduleAsync(string name, DateTime shopLocal)
    {
        var form = await CrmKit.PreviewFormAsync(_admin, [new("Name", name), new("Message", "Hi {name}: {link}"),
            new("ScheduleAt", shopLocal.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture))]);
        var response = await _admin.PostAsync("/admin/campaigns?handler=Schedule", new FormUrlEncodedContent(form));
        Assert.True(HttpStatusCode.Redirect == response.StatusCode, CrmKit.Html(await response.Content.ReadAsStringAsync()));
        return await _kit.App.WithDbAsync(db => db.Set<Campaign>().Where(c => c.Name == name).Select(c => c.Id).SingleAsync());
    }

    private Task<int> StartDueAsync() => _kit.Brain.RunAsync<CampaignStartJob, int>(j => j.RunAsync(CancellationToken.None));

    private Task<Campaign> CampaignAsync(int id) => _kit.App.WithDbAsync(db => db.Set<Campaign>().AsNoTracking().SingleAsync(c => c.Id == id));

    private Task<int> NudgesAsync(int id) => _kit.App.WithDbAsync(db => db.Set<Nudge>().CountAsync(n => n.CampaignId == id));

    [Fact]
    public async Task A_campaign_scheduled_in_shop_time_waits_and_the_job_starts_it_once_when_due()
    {
        var local = ShopTomorrowAt(9);
        var preview = await CrmKit.PostFormAsync(_admin, "/admin/campaigns", "/admin/campaigns?handler=Preview",
            [new("Name", "Morning"), new("Message", "Hi {name}: {link}"), new("ScheduleAt", local.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture))]);
        var page = new HtmlParser().ParseDocument(await preview.Content.ReadAsStringAsync());
        Assert.Null(page.QuerySelector("#confirm-send"));
        Assert.Contains(local.ToString("ddd d MMM yyyy, HH:mm", CultureInfo.InvariantCulture), page.QuerySelector("#confirm-schedule")!.TextContent);
        Assert.Contains("2 contacts as of now", page.QuerySelector("#confirm-schedule")!.TextContent);

        var id = await ScheduleAsync("Morning", local);
        var campaign = await CampaignAsync(id);
        Assert.Equal(CampaignStates.Scheduled, campaign.State);
        Assert.Equal(TimeZoneInfo.ConvertTimeToUtc(local, Tokyo), campaign.ScheduledFor);
        Assert.Equal(0, await NudgesAsync(id));
        var list = new HtmlParser().ParseDocument(await _admin.GetStringAsync("/admin/campaigns"));
        var row = list.QuerySelector($"#campaign-list tr[data-campaign-id='{id}']")!;
        Assert.Contains("Scheduled", row.TextContent);
        Assert.Contains(local.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), row.TextContent);
        Assert.NotNull(row.QuerySelector("form button"));

        Assert.Equal(0, await StartDueAsync());
        _kit.App.Clock.Advance(campaign.ScheduledFor!.Value - _kit.Brain.Now - TimeSpan.FromMinutes(1));
        Assert.Equal(0, await StartDueAsync());
        Assert.Equal(0, await NudgesAsync(id));

        _kit.App.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await StartDueAsync());
        campaign = await CampaignAsync(id);
        Assert.Equal(CampaignStates.Sent, campaign.State);
        Assert.Equal(_kit.Brain.Now, campaign.StartedAt);
        Assert.Equal(3, await NudgesAsync(id));
        Assert.Equal(2, campaign.Queued);
        Assert.Equal(0, await StartDueAsync());
        Assert.Equal(3, await NudgesAsync(id));
        Assert.Equal(2, await _kit.Brain.DispatchAsync());

        var audit = await _kit.App.WithDbAsync(db => db.Set<AuditEntry>().AsNoTracking().Where(e => e.Target == $"campaign:{id}").OrderBy(e => e.Id).ToListAsync());
        Assert.Equal([AuditActions.CampaignSchedule, AuditActions.CampaignSend], audit.Select(e => e.Action).ToArray());
        Assert.Equal(AdminFactory.AdminEmail, audit[0].Actor);
    }

    [Fact]
    public async Task A_scheduled_campaign_cancelled_before_it_starts_never_sends_and_cannot_be_cancelled_twice()
    {
        var id = await ScheduleAsync("Called off", ShopTomorrowAt(10));
        var keep = await ScheduleAsync("Kept", ShopTomorrowAt(10));

        var token = await AdminFactory.AntiforgeryTokenAsync(_admin, "/admin/campaigns");
        FormUrlEncodedContent Cancel(int campaignId) => new([new("campaignId", campaignId.ToString(CultureInfo.InvariantCulture)), new("__RequestVerificationToken", token)]);
        Assert.Equal(HttpStatusCode.Redirect, (await _admin.PostAsync("/admin/campaigns?handler=Cancel", Cancel(id))).StatusCode);
        var cancelled = await CampaignAsync(id);
        Assert.Equal(CampaignStates.Cancelled, cancelled.State);
        Assert.Equal(AdminFactory.AdminEmail, cancelled.CancelledBy);

        var again = await _admin.PostAsync("/admin/campaigns?handler=Cancel", Cancel(id));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("not scheduled any more", CrmKit.Html(await again.Content.ReadAsStringAsync()));

        _kit.App.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, await StartDueAsync());
        Assert.Equal(0, await NudgesAsync(id));
        Assert.Equal(3, await NudgesAsync(keep));
        // Started campaigns cannot be cancelled either (signed in afresh: a day later the session has lapsed).
        _admin = await _kit.AdminAsync();
        token = await AdminFactory.AntiforgeryTokenAsync(_admin, "/admin/campaigns");
        Assert.Equal(HttpStatusCode.Conflict, (await _admin.PostAsync("/admin/campaigns?handler=Cancel", Cancel(keep))).StatusCode);
        Assert.Equal(CampaignStates.Sent, (await CampaignAsync(keep)).State);
        Assert.Single(await _kit.App.WithDbAsync(db => db.Set<AuditEntry>().Where(e => e.Action == AuditActions.CampaignCancel).ToListAsync()));
    }

    [Theory]
    [InlineData(-2, "Pick a time in the future")]
    [InlineData(24 * 91, "at most 90 days ahead")]
    public async Task A_time_in_the_past_or_too_far_ahead_is_refused_with_a_message(int hoursFromNow, string message)
    {
        var local = TimeZoneInfo.ConvertTimeFromUtc(_kit.Brain.Now.AddHours(hoursFromNow), Tokyo);
        var response = await CrmKit.PostFormAsync(_admin, "/admin/campaigns", "/admin/campaigns?handler=Preview",
            [new("Name", "x"), new("Message", "Hi {link}"), new("ScheduleAt", local.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture))]);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, CrmKit.Html(await response.Content.ReadAsStringAsync()));
        var garbage = await CrmKit.PostFormAsync(_admin, "/admin/campaigns", "/admin/campaigns?handler=Schedule",
            [new("Name", "x"), new("Message", "Hi {link}"), new("ScheduleAt", "soon")]);
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
        Assert.Equal(0, await _kit.App.WithDbAsync(db => db.Set<Campaign>().CountAsync()));
    }
}
