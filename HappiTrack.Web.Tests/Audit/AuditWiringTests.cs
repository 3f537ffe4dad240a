using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HappiTrack.Web.Features.Audit;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Tests.Infrastructure;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Crm;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Audit;

/// <summary>Campaign send, rule change and outbox retry/cancel each write exactly one audit row.</summary>
public sealed class AuditWiringTests : IAsyncLifetime
{
    private readonly CrmKit _kit = new();
    private HttpClient _admin = null!;

    public async Task InitializeAsync() => _admin = await _kit.AdminAsync();
    public async Task DisposeAsync() => await _kit.DisposeAsync();

    private Task<List<AuditEntry>> RowsAsync(string action) =>
        _kit.App.WithDbAsync(db => db.Set<AuditEntry>().AsNoTracking().Where(e => e.Action == action).ToListAsync());

    [Fact]
    public async Task A_campaign_sent_with_the_api_token_is_recorded_once_with_its_figures()
    {
        await _kit.Brain.ContactAsync();
        var response = await _kit.Api.BroadcastConfirmedAsync("Winter", "Hi {name}: {link}", new { });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        var row = Assert.Single(await RowsAsync(AuditActions.CampaignSend));
        Assert.Equal("api-token:configuration", row.Actor);
        Assert.StartsWith("campaign:", row.Target);
        using var details = JsonDocument.Parse(row.Details!);
        Assert.Equal("Winter", details.RootElement.GetProperty("name").GetString());
        Assert.Equal(1, details.RootElement.GetProperty("matched").GetInt32());
    }

    [Fact]
    public async Task A_rule_change_is_recorded_once_with_before_and_after()
    {
        var fields = await CrmKit.FormFieldsAsync(_admin, "/admin/rules", "form.rules-form");
        var changed = fields.Select(f => f.Key == "Settings.InterestDiscount.Threshold" ? new KeyValuePair<string, string>(f.Key, "17") : f).ToList();
        var before = fields.Single(f => f.Key == "Settings.InterestDiscount.Threshold").Value;

        Assert.Equal(HttpStatusCode.Redirect, (await CrmKit.PostFormAsync(_admin, "/admin/rules", "/admin/rules", changed)).StatusCode);
        // An invalid save changes nothing and records nothing.
        var invalid = changed.Select(f => f.Key == "Settings.Guards.QuietHoursStart" ? new KeyValuePair<string, string>(f.Key, "25:00") : f);
        Assert.Equal(HttpStatusCode.BadRequest, (await CrmKit.PostFormAsync(_admin, "/admin/rules", "/admin/rules", invalid)).StatusCode);

        var row = Assert.Single(await RowsAsync(AuditActions.RuleChange));
        Assert.Equal(AdminFactory.AdminEmail, row.Actor);
        using var details = JsonDocument.Parse(row.Details!);
        Assert.Equal(double.Parse(before, System.Globalization.CultureInfo.InvariantCulture),
            details.RootElement.GetProperty("before").GetProperty("interestDiscount").GetProperty("threshold").GetDouble());
        Assert.Equal(17, details.RootElement.GetProperty("after").GetProperty("interestDiscount").GetProperty("threshold").GetDouble());
    }

    [Fact]
    public async Task Outbox_retry_and_cancel_are_recorded_once_each_and_refusals_are_not()
    {
        var ann = await _kit.Brain.ContactAsync();
        var dead = await _kit.NudgeAsync(ann.Id, NudgeStatuses.Dead, _kit.Brain.Now, attempts: 5);
        var queued = await _kit.NudgeAsync(ann.Id, NudgeStatuses.Queued, _kit.Brain.Now.AddHours(3));

        await CrmKit.PostFormAsync(_admin, "/admin/outbox", $"/admin/outbox?handler=Retry&id={dead}", []);
        await CrmKit.PostFormAsync(_admin, "/admin/outbox", $"/admin/outbox?handler=Cancel&id={queued}", []);
        await CrmKit.PostFormAsync(_admin, "/admin/outbox", $"/admin/outbox?handler=Cancel&id={queued}", []);
        await CrmKit.PostFormAsync(_admin, "/admin/outbox", $"/admin/outbox?handler=Retry&id={queued}", []);

        var retry = Assert.Single(await RowsAsync(AuditActions.OutboxRetry));
        Assert.Equal((AdminFactory.AdminEmail, $"nudge:{dead}"), (retry.Actor, retry.Target));
        var cancel = Assert.Single(await RowsAsync(AuditActions.OutboxCancel));
        Assert.Equal((AdminFactory.AdminEmail, $"nudge:{queued}"), (cancel.Actor, cancel.Target));
    }
}
