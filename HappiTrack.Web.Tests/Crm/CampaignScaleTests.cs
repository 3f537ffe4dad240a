using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Nudges;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace HappiTrack.Web.Tests.Crm;

/// <summary>
/// A campaign holds the database's write lock while it writes its nudges (SQLite has one writer, so
/// tracking waits meanwhile): its SQL must not grow with the number of recipients.
/// </summary>
public sealed class CampaignScaleTests(ITestOutputHelper output) : IAsyncLifetime
{
    // SQL is logged at Warning by default; this test counts commands from the log.
    private readonly CrmKit _kit = new(app => app.Settings["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Information");

    public async Task InitializeAsync()
    {
        await _kit.App.WithDbAsync(_ => Task.CompletedTask);
    }

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    private Task SeedContactsAsync(int count, string prefix) => _kit.App.WithDbAsync(async db =>
    {
        var now = _kit.Brain.Now;
        db.Contacts.AddRange(Enumerable.Range(0, count).Select(i => new Contact
        {
            Phone = $"+49152{prefix}{i:D6}", Name = $"C{i}", LinkToken = $"{prefix}-{i}", CreatedAt = now,
            OptedIn = i % 10 != 0, OptedInAt = now, OptedOut = i % 25 == 0, OptInSource = "api",
        }));
        await db.SaveChangesAsync();
    });

    /// <summary>Reads only: SQLite inserts one row per command, which is cheap; the per-recipient reads were not.</summary>
    private int SqlCommands() => _kit.App.Logs.Entries.Count(e => e.Category == "Microsoft.EntityFrameworkCore.Database.Command" && !e.Message.Contains("INSERT INTO"));

    private async Task<(JsonElement Outcome, int Commands, TimeSpan Took)> BroadcastAsync(string name)
    {
        var dryRun = await _kit.Api.PostAsJsonAsync("/api/campaign/broadcast", new { message = "Hi {name}: {link}", segment = new { }, dryRun = true });
        var previewId = (await dryRun.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("previewId").GetString();
        var before = SqlCommands();
        var watch = Stopwatch.StartNew();
        var response = await _kit.Api.PostAsJsonAsync("/api/campaign/broadcast", new { name, message = "Hi {name}: {link}", segment = new { }, previewId });
        watch.Stop();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(), SqlCommands() - before, watch.Elapsed);
    }

    [Fact]
    public async Task A_campaign_to_thousands_reads_as_much_SQL_as_one_to_a_hundred_and_the_guards_still_decide_each()
    {
        await SeedContactsAsync(100, "1");
        var small = await BroadcastAsync("small");
        await SeedContactsAsync(3_000, "2");
        // The first campaign's hundred recipients are capped now; the new ones are not.
        var large = await BroadcastAsync("large");
        output.WriteLine($"100 contacts: {small.Commands} SQL reads, {small.Took.TotalMilliseconds:0} ms; 3,100 contacts: {large.Commands} SQL reads, {large.Took.TotalMilliseconds:0} ms (not asserted)");

        Assert.Equal(3_100, large.Outcome.GetProperty("matched").GetInt32());
        // Every 10th has no opt-in, every 25th opted out (opt-out is checked first): counted by hand from the seed.
        var suppressed = large.Outcome.GetProperty("suppressed");
        Assert.Equal(4 + 120, suppressed.GetProperty("optedOut").GetInt32());
        Assert.Equal(10 - 2 + 300 - 60, suppressed.GetProperty("noOptIn").GetInt32());
        Assert.Equal(small.Outcome.GetProperty("queued").GetInt32(), suppressed.GetProperty("capped").GetInt32());
        Assert.Equal(3_000 - 120 - 240, large.Outcome.GetProperty("queued").GetInt32());

        var campaignId = large.Outcome.GetProperty("campaignId").GetInt32();
        var written = await _kit.App.WithDbAsync(db => db.Set<Nudge>().Where(n => n.CampaignId == campaignId)
            .GroupBy(n => n.Status).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count));
        Assert.Equal(3_100, written.Values.Sum());
        Assert.Equal(3_000 - 120 - 240, written[NudgeStatuses.Queued]);

        Assert.InRange(large.Commands, 1, small.Commands + 10);
    }
}
