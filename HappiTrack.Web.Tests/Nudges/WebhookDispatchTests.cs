using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Dispatch;

public sealed class WebhookDispatchTests : IAsyncLifetime
{
    private TestBotServer _bot = null!;

    public async Task InitializeAsync() => _bot = await TestBotServer.StartAsync();
    public async Task DisposeAsync() => await _bot.DisposeAsync();

    [Fact]
    public async Task The_bot_gets_the_nudge_as_json_signed_over_the_raw_body_with_the_nudge_id_as_idempotency_key()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot);
        var contact = await app.ContactAsync("+4915112345678", "Amina");
        var nudge = await app.NudgeAsync(contact.Id, NudgeKinds.InterestDiscount, "lenovo-loq-15", token: "tok_abc");

        Assert.Equal(1, await app.DispatchAsync());

        var request = Assert.Single(_bot.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/bot/nudges", request.Path);
        var expected = "sha256=" + Convert.ToHexStringLower(
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(DispatchApp.WebhookSecret), Encoding.UTF8.GetBytes(request.Body)));
        Assert.Equal(expected, request.Headers["X-HappiTrack-Signature"]);
        Assert.Equal(nudge.Id.ToString(), request.Headers["Idempotency-Key"]);
        Assert.StartsWith("application/json", request.Headers["Content-Type"]);

        using var json = JsonDocument.Parse(request.Body);
        var root = json.RootElement;
        Assert.Equal(nudge.Id, root.GetProperty("nudgeId").GetInt32());
        Assert.Equal(NudgeKinds.InterestDiscount, root.GetProperty("kind").GetString());
        Assert.Equal("+4915112345678", root.GetProperty("contact").GetProperty("phone").GetString());
        Assert.Equal("Amina", root.GetProperty("contact").GetProperty("name").GetString());
        Assert.Equal(nudge.Message, root.GetProperty("message").GetString());
        Assert.Equal(nudge.Link, root.GetProperty("link").GetString());
        Assert.Equal("tok_abc", root.GetProperty("token").GetString());
        Assert.Equal("lenovo-loq-15", root.GetProperty("product").GetProperty("slug").GetString());
        Assert.True(root.GetProperty("product").GetProperty("priceCents").GetInt64() > 0);

        var stored = await app.LoadAsync(nudge.Id);
        Assert.Equal(NudgeStatuses.Sent, stored.Status);
        Assert.Equal(app.Now, stored.SentAt);
    }

    [Fact]
    public async Task Transient_failures_are_retried_within_the_attempt_with_the_same_body_and_idempotency_key()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot, httpRetries: 2);
        var contact = await app.ContactAsync("+4915112345601");
        var nudge = await app.NudgeAsync(contact.Id);
        var calls = 0;
        _bot.Responder = (_, _) => Interlocked.Increment(ref calls) <= 2 ? (503, "{}") : (200, "{}");

        Assert.Equal(1, await app.DispatchAsync());

        var requests = _bot.Requests.ToList();
        Assert.Equal([503, 503, 200], requests.Select(r => r.AnsweredStatus));
        Assert.All(requests, r => Assert.Equal(nudge.Id.ToString(), r.Headers["Idempotency-Key"]));
        Assert.Single(requests.Select(r => r.Body).Distinct());
        var stored = await app.LoadAsync(nudge.Id);
        Assert.Equal(NudgeStatuses.Sent, stored.Status);
        Assert.Equal(1, stored.Attempts);
    }

    [Fact]
    public async Task A_400_is_dead_lettered_at_once_without_any_retry_and_an_admin_can_retry_it()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot);
        var contact = await app.ContactAsync("+4915112345602");
        var nudge = await app.NudgeAsync(contact.Id);
        _bot.Responder = (_, _) => (400, "{\"error\":\"bad phone\"}");

        Assert.Equal(0, await app.DispatchAsync());
        app.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, await app.DispatchAsync());

        Assert.Single(_bot.Requests);
        var dead = await app.LoadAsync(nudge.Id);
        Assert.Equal(NudgeStatuses.Dead, dead.Status);
        Assert.Contains("400", dead.LastError);

        _bot.Responder = (_, _) => (200, "{}");
        var admin = app.AdminClient();
        var retry = await admin.PostAsync($"/api/nudges/{nudge.Id}/retry", null);
        Assert.Equal(System.Net.HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(1, await app.DispatchAsync());
        Assert.Equal(NudgeStatuses.Sent, (await app.LoadAsync(nudge.Id)).Status);
        Assert.Equal(2, _bot.Requests.Count);

        var again = await admin.PostAsync($"/api/nudges/{nudge.Id}/retry", null);
        Assert.Equal(System.Net.HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task The_retry_api_takes_the_same_path_as_the_outbox_page_and_refuses_a_contact_without_consent()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot);
        var consenting = await app.ContactAsync("+4915112345611");
        var silent = await app.ContactAsync("+4915112345612", optedIn: false);
        var retryable = await app.NudgeAsync(consenting.Id);
        var refused = await app.NudgeAsync(silent.Id);
        await app.WithDbAsync(db => db.Set<Nudge>().Where(n => n.Id == retryable.Id || n.Id == refused.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.Status, NudgeStatuses.Dead).SetProperty(n => n.Attempts, 5)));
        var admin = app.AdminClient();

        var noConsent = await admin.PostAsync($"/api/nudges/{refused.Id}/retry", null);
        Assert.Equal(System.Net.HttpStatusCode.Conflict, noConsent.StatusCode);
        Assert.Equal("application/problem+json", noConsent.Content.Headers.ContentType?.MediaType);
        Assert.Equal(NudgeStatuses.Dead, (await app.LoadAsync(refused.Id)).Status);

        var ok = await admin.PostAsync($"/api/nudges/{retryable.Id}/retry", null);
        Assert.Equal(System.Net.HttpStatusCode.OK, ok.StatusCode);
        var stored = await app.LoadAsync(retryable.Id);
        Assert.Equal(NudgeStatuses.Queued, stored.Status);
        Assert.Equal(0, stored.Attempts);
        Assert.Equal(NudgeReasons.RetriedByAdmin, stored.Reason);
        using var json = JsonDocument.Parse(await ok.Content.ReadAsStringAsync());
        Assert.Equal(NudgeStatuses.Queued, json.RootElement.GetProperty("status").GetString());

        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await admin.PostAsync("/api/nudges/999999/retry", null)).StatusCode);
    }

    [Fact]
    public async Task A_send_interrupted_by_a_crash_is_resent_after_the_lease_with_the_same_idempotency_key()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot);
        var contact = await app.ContactAsync("+4915112345604");
        var nudge = await app.NudgeAsync(contact.Id);
        Assert.Equal(1, await app.DispatchAsync());
        // The process died after the bot got it but before the commit: the row is still claimed.
        await app.WithDbAsync(db => db.Set<Nudge>().Where(n => n.Id == nudge.Id).ExecuteUpdateAsync(s => s
            .SetProperty(n => n.Status, NudgeStatuses.Sending).SetProperty(n => n.SentAt, (DateTime?)null)
            .SetProperty(n => n.LeaseUntil, app.Now + OutboxProcessor.Lease)));

        Assert.Equal(0, await app.DispatchAsync());
        Assert.Single(_bot.Requests);
        app.Clock.Advance(OutboxProcessor.Lease + TimeSpan.FromSeconds(1));
        Assert.Equal(1, await app.DispatchAsync());

        var requests = _bot.Requests.ToList();
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Equal(nudge.Id.ToString(), r.Headers["Idempotency-Key"]));
        Assert.Equal(requests[0].Body, requests[1].Body);
    }

    [Fact]
    public async Task A_channel_that_stays_down_gets_max_attempts_times_one_plus_retries_requests_spaced_by_the_outbox_backoff_then_dead()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot, httpRetries: 2);
        var contact = await app.ContactAsync("+4915112345603");
        var nudge = await app.NudgeAsync(contact.Id);
        _bot.Responder = (_, _) => (500, "{}");
        var settings = new OutboxRetrySettings();
        var attemptTimes = new List<DateTime>();

        for (var attempt = 1; attempt <= settings.MaxAttempts; attempt++)
        {
            var before = _bot.Requests.Count;
            await app.DispatchAsync();
            Assert.Equal(3, _bot.Requests.Count - before); // 1 + 2 HTTP retries per outbox attempt
            attemptTimes.Add(app.Now);
            var stored = await app.LoadAsync(nudge.Id);
            Assert.Equal(attempt, stored.Attempts);
            if (attempt == settings.MaxAttempts)
            {
                Assert.Equal(NudgeStatuses.Dead, stored.Status);
                break;
            }
            Assert.Equal(NudgeStatuses.Failed, stored.Status);
            Assert.Equal(app.Now + OutboxProcessor.Backoff(attempt, settings), stored.SendAfter);

            // Not a second before the backoff has passed.
            app.Clock.Advance(OutboxProcessor.Backoff(attempt, settings) - TimeSpan.FromSeconds(1));
            await app.DispatchAsync();
            Assert.Equal(before + 3, _bot.Requests.Count);
            app.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(settings.MaxAttempts * 3, _bot.Requests.Count);
        var gaps = attemptTimes.Zip(attemptTimes.Skip(1), (a, b) => b - a).ToList();
        Assert.Equal([30, 60, 120, 240], gaps.Select(g => g.TotalSeconds));
        app.Clock.Advance(TimeSpan.FromDays(2));
        await app.DispatchAsync();
        Assert.Equal(settings.MaxAttempts * 3, _bot.Requests.Count);
    }

    [Fact]
    public async Task With_30_percent_injected_429_and_500_over_500_nudges_each_ends_sent_or_dead_and_none_is_delivered_twice()
    {
        await using var app = new DispatchApp(DispatchModes.Webhook, _bot, httpRetries: 1);
        var ids = await app.NudgesForNewContactsAsync(500);
        _bot.Clock = app.Clock;
        _bot.FailureRate = 0.3;

        await app.DrainAsync();

        var nudges = await app.WithDbAsync(db => Task.FromResult(db.Set<Nudge>().Where(n => ids.Contains(n.Id)).ToList()));
        Assert.All(nudges, n => Assert.Contains(n.Status, new[] { NudgeStatuses.Sent, NudgeStatuses.Dead }));
        var accepted = _bot.Requests.Where(r => r.AnsweredStatus is >= 200 and < 300).Select(r => r.Headers["Idempotency-Key"]).ToList();
        Assert.Equal(accepted.Count, accepted.Distinct().Count());
        Assert.Equal(nudges.Where(n => n.Status == NudgeStatuses.Sent).Select(n => n.Id.ToString()).Order(), accepted.Order());
        Assert.Contains(_bot.Requests, r => r.AnsweredStatus == 429);
        Assert.Contains(_bot.Requests, r => r.AnsweredStatus == 500);

        // Outbox attempts of one nudge (requests at distinct fake times) are never closer than the backoff policy.
        var settings = new OutboxRetrySettings();
        var retriedAcrossAttempts = 0;
        foreach (var perNudge in _bot.Requests.GroupBy(r => r.Headers["Idempotency-Key"]))
        {
            var attempts = perNudge.Select(r => r.ReceivedAtUtc).Distinct().Order().ToList();
            Assert.True(perNudge.Count() <= settings.MaxAttempts * 2, $"nudge {perNudge.Key}: {perNudge.Count()} requests");
            for (var a = 1; a < attempts.Count; a++)
            {
                retriedAcrossAttempts++;
                Assert.True(attempts[a] - attempts[a - 1] >= OutboxProcessor.Backoff(a, settings),
                    $"nudge {perNudge.Key}: attempt {a + 1} came {attempts[a] - attempts[a - 1]} after attempt {a}");
            }
        }
        Assert.True(retriedAcrossAttempts > 0, "some nudges should have needed a second outbox attempt");
    }
}
