using System.Net.Http.Json;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Tests.Infrastructure;
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
