using System.Net.Http.Json;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Tests.Dispatch;

public sealed class DispatchConfigurationTests : IAsyncLifetime
{
    private TestBotServer _bot = null!;

    public async Task InitializeAsync() => _bot = await TestBotServer.StartAsync();
    public async Task DisposeAsync() => await _bot.DisposeAsync();

    [Theory]
    [InlineData("Webhook", "Dispatch:Webhook:Url", "Dispatch:Webhook:Url")]
    [InlineData("Webhook", "Dispatch:Webhook:Secret", "Dispatch:Webhook:Secret")]
    [InlineData("WhatsAppCloud", "WhatsApp:AccessToken", "WhatsApp:AccessToken")]
    [InlineData("WhatsAppCloud", "WhatsApp:PhoneNumberId", "WhatsApp:PhoneNumberId")]
    [InlineData("WhatsAppCloud", "WhatsApp:AppSecret", "WhatsApp:AppSecret")]
    [InlineData("Carrier pigeon", null, "Dispatch:Mode")]
    public async Task A_mode_without_its_settings_fails_start_up_naming_the_missing_key(string mode, string? removed, string named)
    {
        await using var app = new DispatchApp(mode, _bot);
        if (removed is not null) app.Settings[removed] = "";
        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        var validation = error as OptionsValidationException ?? error.InnerException as OptionsValidationException;
        Assert.NotNull(validation);
        Assert.Contains(validation.Failures, f => f.Contains(named));
    }

    [Theory]
    [InlineData("00:00:01", "Dispatch:Lease must be between")]
    [InlineData("00:00:30", "Dispatch:Http:TotalTimeout must be at most 15 s (half of Dispatch:Lease)")]
    public async Task A_lease_too_short_or_under_twice_the_send_timeout_fails_start_up(string lease, string message)
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot); // TotalTimeout 20 s
        app.Settings["Dispatch:Lease"] = lease;
        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        var validation = error as OptionsValidationException ?? error.InnerException as OptionsValidationException;
        Assert.NotNull(validation);
        Assert.Contains(validation.Failures, f => f.Contains(message));
    }

    [Fact]
    public async Task A_nudge_being_sent_is_leased_for_the_configured_lease()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot);
        app.Settings["Dispatch:Lease"] = "00:00:50";
        var contact = await app.ContactAsync("+4915112345690");
        var nudge = await app.NudgeAsync(contact.Id);
        DateTime? leaseDuringSend = null;
        _bot.Responder = (_, _) =>
        {
            leaseDuringSend = app.WithDbAsync(db => db.Set<Nudge>().Where(n => n.Id == nudge.Id).Select(n => n.LeaseUntil).SingleAsync())
                .GetAwaiter().GetResult();
            return (200, "{}");
        };

        Assert.Equal(1, await app.DispatchAsync());
        Assert.Equal(app.Now + TimeSpan.FromSeconds(50), leaseDuringSend);
        Assert.Null((await app.LoadAsync(nudge.Id)).LeaseUntil);
    }

    [Fact]
    public async Task Secrets_never_reach_the_log_even_when_sends_fail()
    {
        await using var app = new DispatchApp(DispatchModes.WhatsAppCloud, _bot);
        var contact = await app.ContactAsync("+4915112345660");
        await app.NudgeAsync(contact.Id);
        _bot.Responder = (_, _) => (401, """{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}""");
        await app.DispatchAsync();
        await app.PostWebhookAsync("{}", signature: "sha256=" + new string('a', 64));
        await app.CreateClient().GetAsync($"{WhatsAppWebhookEndpoints.Path}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1");

        Assert.Contains(app.Log, l => l.Contains("190"));
        foreach (var secret in new[] { DispatchApp.AccessToken, DispatchApp.AppSecret, DispatchApp.VerifyToken, DispatchApp.WebhookSecret })
            Assert.DoesNotContain(app.Log, l => l.Contains(secret));
        Assert.DoesNotContain(app.Log, l => l.Contains("+4915112345660"));
    }
}
