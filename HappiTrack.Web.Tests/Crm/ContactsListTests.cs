using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Tests.Brain;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace HappiTrack.Web.Tests.Crm;

public sealed class ContactsListTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly CrmKit _kit = new();

    public Task InitializeAsync() => _kit.App.WithDbAsync(_ => Task.CompletedTask);
    public async Task DisposeAsync() => await _kit.DisposeAsync();

    private async Task<JsonElement> ListAsync(string query)
    {
        var response = await _kit.Api.GetAsync("/api/contacts" + query);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement;
    }

    private static int[] Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt32()).ToArray();

    [Fact]
    public async Task The_list_carries_the_projected_summary_and_pages_searches_sorts_and_filters()
    {
        var b = _kit.Brain;
        var ann = await b.ContactAsync("+4915100000001", "Ann Lee");
        var ben = await b.ContactAsync("+4915100000002", "Ben Ode", optedIn: false);
        var cai = await b.ContactAsync("+4917600000003", "Cai Moss");
        var annVisitor = await b.VisitorAsync(ann.Id);
        await b.AddToCartAsync(annVisitor, BrainKit.Featured);
        await b.EventAsync(annVisitor, EventTypes.LingerSpecs, BrainKit.Featured);
        var benVisitor = await b.VisitorAsync(ben.Id);
        await b.EventAsync(benVisitor, EventTypes.ProductView, BrainKit.Featured);
        await _kit.App.WithDbAsync(db => db.Contacts.Where(c => c.Id == cai.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.VipStatus, true)));
        await b.ProjectAsync();

        var all = await ListAsync("?sort=-score");
        Assert.Equal(3, all.GetProperty("total").GetInt32());
        Assert.Equal([ann.Id, ben.Id, cai.Id], Ids(all));
        var first = all.GetProperty("items")[0];
        Assert.Equal("+4915100000001", first.GetProperty("phone").GetString());
        Assert.Equal(65, first.GetProperty("generalInterestScore").GetDouble());
        Assert.Equal("lenovo-loq-15", first.GetProperty("mostDesiredProduct").GetProperty("slug").GetString());
        Assert.Equal(3, first.GetProperty("topTags").GetArrayLength());
        Assert.True(first.GetProperty("optedIn").GetBoolean());
        Assert.Equal(b.Now, first.GetProperty("lastSeenAt").GetDateTime().ToUniversalTime());

        // Decay lowers every score but keeps the order (the rank column is time-invariant).
        _kit.App.Clock.Advance(TimeSpan.FromDays(14));
        var later = await ListAsync("?sort=-score");
        Assert.Equal(32.5, later.GetProperty("items")[0].GetProperty("generalInterestScore").GetDouble());
        Assert.Equal([ann.Id, ben.Id], Ids(await ListAsync("?minScore=2&sort=-score")));
        Assert.Equal([ann.Id], Ids(await ListAsync("?minScore=30")));

        Assert.Equal([cai.Id, ben.Id, ann.Id], Ids(await ListAsync("?sort=-name")));
        Assert.Equal([ann.Id], Ids(await ListAsync("?search=ann")));
        Assert.Equal([cai.Id], Ids(await ListAsync("?search=176")));
        Assert.Equal([cai.Id], Ids(await ListAsync("?vip=true")));
        Assert.Equal([ann.Id, cai.Id], Ids(await ListAsync("?optedIn=true&sort=id")));
        var page2 = await ListAsync("?pageSize=2&page=2&sort=id");
        Assert.Equal([cai.Id], Ids(page2));
        Assert.Equal(3, page2.GetProperty("total").GetInt32());
    }

    [Theory]
    [InlineData("?page=0", "page")]
    [InlineData("?page=x", "page")]
    [InlineData("?pageSize=1000", "pageSize")]
    [InlineData("?sort=password", "sort")]
    [InlineData("?vip=maybe", "vip")]
    [InlineData("?minScore=-1", "minScore")]
    [InlineData("?minScore=NaN", "minScore")]
    [InlineData("?hasCart=maybe", "hasCart")]
    public async Task Bad_list_queries_are_400_problems_naming_the_parameter(string query, string field)
    {
        var response = await _kit.Api.GetAsync("/api/contacts" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task The_contacts_page_renders_the_table_wired_for_live_refresh()
    {
        var b = _kit.Brain;
        var ann = await b.ContactAsync("+4915100000001", "Ann Lee");
        await _kit.App.WithDbAsync(db => db.Contacts.Where(c => c.Id == ann.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.VipStatus, true)));
        var admin = await _kit.AdminAsync();
        var html = await admin.GetStringAsync("/admin/contacts?sort=-score&vip=true");
        var doc = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html);
        var table = doc.QuerySelector("table[data-live-contacts]")!;
        Assert.Equal("/api/contacts", table.GetAttribute("data-live-contacts"));
        Assert.Equal("-score", table.GetAttribute("data-sort"));
        Assert.Equal("true", table.GetAttribute("data-vip"));
        Assert.Equal("VIP", doc.QuerySelector($"tr[data-contact-id='{ann.Id}'] .badge.vip")!.TextContent);
        Assert.DoesNotContain("style=", html);
        Assert.DoesNotContain("<script>", html);
        var bad = await admin.GetAsync("/admin/contacts?sort=nope");
        Assert.Equal(HttpStatusCode.OK, bad.StatusCode);
        Assert.Contains("Cannot sort by “nope”", CrmKit.Html(await bad.Content.ReadAsStringAsync()));
    }

    /// <summary>Not a speed assertion (timings are printed): 100,000 contacts page and sort correctly, deep pages included.</summary>
    [Fact]
    public async Task One_hundred_thousand_contacts_page_correctly()
    {
        const int count = 100_000;
        var seed = Stopwatch.StartNew();
        await _kit.App.WithDbAsync(async db =>
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            var now = _kit.Brain.Now;
            var halfLife = TimeSpan.FromDays(14);
            for (var start = 0; start < count; start += 500)
            {
                var sql = new StringBuilder("""INSERT INTO "Contacts" ("Phone", "Name", "LinkToken", "CreatedAt", "OptedIn", "OptedOut", "VipStatus", "InterestScore", "InterestAsOf", "InterestRank", "Purchases", "MostDesiredScore", "LastSeenAt") VALUES """);
                for (var i = start; i < start + 500; i++)
                {
                    // Score i % 1000 makes ties; id breaks them, so the expected order is computable.
                    var score = i % 1000;
                    var rank = ContactRanking.Rank(score, now, halfLife);
                    sql.Append(i == start ? "" : ",")
                        .Append($"('+4930{i:D8}', 'Seed {i:D6}', 'seed-token-{i:D8}-xxxxxxxx', '2026-11-01 00:00:00', {(i % 2 == 0 ? "TRUE" : "FALSE")}, FALSE, {(i % 10 == 0 ? "TRUE" : "FALSE")}, {score}, '{now:yyyy-MM-dd HH:mm:ss}', {(rank is null ? "NULL" : rank.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))}, {i % 5}, 0, '{now.AddSeconds(-i):yyyy-MM-dd HH:mm:ss}')");
                }
                await db.Database.ExecuteSqlRawAsync(sql.ToString());
            }
            await tx.CommitAsync();
        });
        output.WriteLine($"Seeded {count} contacts in {seed.ElapsedMilliseconds} ms");

        var timer = Stopwatch.StartNew();
        var first = await ListAsync("?pageSize=50");
        output.WriteLine($"page 1 by last seen: {timer.ElapsedMilliseconds} ms");
        Assert.Equal(count, first.GetProperty("total").GetInt32());
        Assert.Equal("Seed 000000", first.GetProperty("items")[0].GetProperty("name").GetString());

        timer.Restart();
        var deep = await ListAsync("?pageSize=50&page=1900");
        output.WriteLine($"page 1900 by last seen: {timer.ElapsedMilliseconds} ms");
        Assert.Equal("Seed 094950", deep.GetProperty("items")[0].GetProperty("name").GetString());

        timer.Restart();
        var byScore = await ListAsync("?pageSize=50&page=1000&sort=-score");
        output.WriteLine($"page 1000 by score: {timer.ElapsedMilliseconds} ms");
        // Scores 999..0, 100 contacts each, ties by id descending: rows 49,950.. are score 500, ids from the top.
        var item = byScore.GetProperty("items")[0];
        Assert.Equal(500, item.GetProperty("generalInterestScore").GetDouble());

        timer.Restart();
        var vipSearch = await ListAsync("?pageSize=50&vip=true&minScore=989.5&sort=-score");
        output.WriteLine($"VIP with score ≥ 990: {timer.ElapsedMilliseconds} ms");
        Assert.Equal(100, vipSearch.GetProperty("total").GetInt32());

        timer.Restart();
        var byVip = await ListAsync("?pageSize=100&page=500&sort=-vip");
        output.WriteLine($"page 500 by VIP: {timer.ElapsedMilliseconds} ms");
        // 10,000 VIPs (every tenth seed) first, ids descending: row 49,900 is the 39,900th non-VIP from the top.
        Assert.False(byVip.GetProperty("items")[0].GetProperty("vipStatus").GetBoolean());

        timer.Restart();
        var byOptIn = await ListAsync("?pageSize=100&page=400&sort=-optIn");
        output.WriteLine($"page 400 by opt-in: {timer.ElapsedMilliseconds} ms");
        Assert.True(byOptIn.GetProperty("items")[0].GetProperty("optedIn").GetBoolean());

        timer.Restart();
        var withCart = await ListAsync("?pageSize=50&hasCart=false&sort=-score");
        output.WriteLine($"no cart, by score: {timer.ElapsedMilliseconds} ms");
        Assert.Equal(count, withCart.GetProperty("total").GetInt32());

        timer.Restart();
        var search = await ListAsync("?search=Seed 09999");
        output.WriteLine($"search: {timer.ElapsedMilliseconds} ms");
        Assert.Equal(10, search.GetProperty("total").GetInt32());
    }
}
