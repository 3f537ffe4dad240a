using System.Text;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Privacy;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Lift;

/// <summary>
/// The lift section of <c>/analytics</c> and <c>lift.csv</c> over a hand-built history (issue 19), on both providers.
/// Cart rescue, nudged ten days ago: 40 treated contacts (sent) and 40 held out. Treated: 12 order 6 days 23 hours after
/// the nudge (inside the 7-day window), 8 order 7 days 1 hour after (outside), 5 ordered an hour before it. Held out:
/// 4 inside, 8 outside, 5 before. Every order is €100. So 30 % vs 10 %: 20 points (Newcombe 2.3 to 36.6), +200 %
/// (Katz 5.7 % to 751.5 %), 8 incremental conversions and orders, €800, 40 messages / 8 = 5.0 per incremental conversion.
/// A campaign with 5 treated and 2 held-out contacts is too small to tell.
/// </summary>
public sealed class LiftAnalyticsTests : IAsyncLifetime
{
    private readonly AdminFactory _app = new();
    private HttpClient _admin = null!;
    private readonly List<int> _treated = [], _heldOut = [];
    private static DateTime Now => HappiTrackFactory.DefaultStart.UtcDateTime;
    private static string Range => $"?from={HappiTrackFactory.Today.AddDays(-20):yyyy-MM-dd}&to={HappiTrackFactory.Today:yyyy-MM-dd}";

    public async Task InitializeAsync()
    {
        _admin = await _app.AdminClientAsync();
        await _app.WithDbAsync(SeedAsync);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task SeedAsync(AppDbContext db)
    {
        var nudgedAt = Now.AddDays(-10);
        var campaign = new Campaign { Name = "Winter", Message = "Hi {link}", SegmentJson = "{}", CreatedAt = nudgedAt, StartedAt = nudgedAt, HoldoutPercent = 30 };
        db.Add(campaign);
        var people = Enumerable.Range(0, 87).Select(i =>
        {
            var c = new Contact { Phone = $"+4915160000{i:D3}", Name = $"P{i}", LinkToken = LinkToken.New(), CreatedAt = Now.AddDays(-30) };
            c.OptIn(ConsentSources.Api, Now.AddDays(-30));
            return c;
        }).ToList();
        db.Contacts.AddRange(people);
        await db.SaveChangesAsync();

        var n = 0;
        void Nudge(Contact c, string kind, bool heldOut, int? campaignId = null) => db.Add(new Nudge
        {
            ContactId = c.Id, Kind = kind, CampaignId = campaignId, DedupKey = $"lift-test:{n}", Code = $"code{n++}", Message = "m", Link = "l",
            CreatedAt = nudgedAt, SendAfter = nudgedAt, Status = heldOut ? NudgeStatuses.HeldOut : NudgeStatuses.Sent,
            Reason = heldOut ? HoldoutReasons.Holdout : null, SentAt = heldOut ? null : nudgedAt.AddMinutes(1),
        });
        void Order(Contact c, DateTime at) => db.Orders.Add(new Order
        {
            PublicId = Guid.NewGuid().ToString("N"), VisitorId = "v-" + c.Id, ContactId = c.Id, CustomerName = c.Name!, Phone = c.Phone,
            SubtotalCents = 10_000, TotalCents = 10_000, PlacedAt = at,
        });
        for (var i = 0; i < 80; i++)
        {
            var heldOut = i >= 40;
            var k = i % 40;
            var c = people[i];
            Nudge(c, NudgeKinds.CartRescue, heldOut);
            (heldOut ? _heldOut : _treated).Add(c.Id);
            var inside = heldOut ? k < 4 : k < 12;
            var outside = heldOut ? k is >= 4 and < 12 : k is >= 12 and < 20;
            if (inside) Order(c, nudgedAt.AddDays(6).AddHours(23));
            if (outside) Order(c, nudgedAt.AddDays(7).AddHours(1));
            if (k is >= 20 and < 25) Order(c, nudgedAt.AddHours(-1));
        }
        for (var i = 80; i < 87; i++) Nudge(people[i], NudgeKinds.Campaign, heldOut: i >= 85, campaign.Id);
        // Neither arm: refused by consent, and the global control group.
        db.Add(new Nudge
        {
            ContactId = people[0].Id, Kind = NudgeKinds.VipUpgrade, DedupKey = "lift-test:refused", Code = "code-refused", Message = "m", Link = "l",
            CreatedAt = nudgedAt, SendAfter = nudgedAt, Status = NudgeStatuses.Suppressed, Reason = GuardReasons.NoOptIn,
        });
        db.Add(new Nudge
        {
            ContactId = people[1].Id, Kind = NudgeKinds.InterestDiscount, DedupKey = "lift-test:global", Code = "code-global", Message = "m", Link = "l",
            CreatedAt = nudgedAt, SendAfter = nudgedAt, Status = NudgeStatuses.HeldOut, Reason = HoldoutReasons.GlobalControl,
        });
        await db.SaveChangesAsync();
    }

    private async Task<List<string[]>> PageRowsAsync()
    {
        var html = await _admin.GetStringAsync("/analytics" + Range);
        var doc = new HtmlParser().ParseDocument(html);
        Assert.NotNull(doc.QuerySelector("#lift-title"));
        return doc.QuerySelectorAll("#table-lift tr").Select(tr => tr.Children.Select(c => c.TextContent).ToArray()).ToList();
    }

    private async Task<List<string[]>> CsvRowsAsync()
    {
        var response = await _admin.GetAsync("/analytics/export/lift.csv" + Range);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        return ParseCsv(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Both_arms_count_orders_within_the_same_window_and_the_figures_are_the_hand_counted_ones()
    {
        var rows = await PageRowsAsync();
        var header = rows[0];
        string Cell(string group, string column) => rows.Single(r => r[0] == group)[Array.IndexOf(header, column)];
        Assert.Equal(["40", "40", "12", "4", "30.0", "10.0", "20.0", "2.3", "36.6", "200.0", "5.7", "751.5", "8.0", "8.0", "800.00", "40", "5.0", "Adds conversions"],
            rows.Single(r => r[0] == "Cart rescue")[1..]);
        Assert.Equal(("5", "2", "Too small to tell: fewer than 30 contacts in an arm"),
            (Cell("Campaign #1: Winter", "Treated contacts"), Cell("Campaign #1: Winter", "Held-out contacts"), Cell("Campaign #1: Winter", "Verdict")));
        // The consent-refused VIP row and the global control row are in neither arm.
        Assert.Equal(("0", "0"), (Cell("VIP upgrade", "Treated contacts"), Cell("VIP upgrade", "Held-out contacts")));
        Assert.Equal("Too small to tell: no held-out contacts", Cell("Interest discount", "Verdict"));
        Assert.Equal("87", Cell("Blast to every opted-in contact (estimate)", "Messages sent"));

        // The visible summary says it in words for every row.
        var doc = new HtmlParser().ParseDocument(await _admin.GetStringAsync("/analytics" + Range));
        Assert.Equal("conclusive", doc.QuerySelector("#lift-summary tr[data-group='Cart rescue']")!.GetAttribute("data-verdict"));
        Assert.Equal("too-small", doc.QuerySelector("#lift-summary tr[data-group='Campaign #1: Winter']")!.GetAttribute("data-verdict"));
    }

    [Fact]
    public async Task The_csv_matches_the_page_and_held_out_rows_stay_out_of_the_nudge_figures()
    {
        var page = await PageRowsAsync();
        var csv = await CsvRowsAsync();
        Assert.Equal(page.Count, csv.Count);
        for (var i = 0; i < page.Count; i++) Assert.Equal(page[i], csv[i]);

        // The effectiveness table counts messages: 40 rescues and 5 campaign messages were written and sent, the held-out rows were not.
        var nudges = ParseCsv(await _admin.GetStringAsync("/analytics/export/nudges.csv" + Range));
        Assert.Equal(["Cart rescue", "40", "40"], nudges.Single(r => r[0] == "Cart rescue")[..3]);
        Assert.Equal(["Campaign", "5", "5"], nudges.Single(r => r[0] == "Campaign")[..3]);
    }

    [Fact]
    public async Task Erasing_contacts_of_both_arms_keeps_the_lift_totals()
    {
        var before = await CsvRowsAsync();
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var eraser = scope.ServiceProvider.GetRequiredService<ContactEraser>();
            // A converting contact of each arm and a non-converting one.
            foreach (var id in new[] { _treated[0], _heldOut[0], _treated[30] })
                Assert.Equal(ErasureOutcome.Erased, (await eraser.EraseAsync(id, "asked by email", "test", CancellationToken.None)).Outcome);
        }
        var after = await CsvRowsAsync();
        var rescue = Array.IndexOf(before[0], "Nudge");
        Assert.Equal(before.Single(r => r[rescue] == "Cart rescue"), after.Single(r => r[rescue] == "Cart rescue"));
        Assert.Equal(before.Single(r => r[0] == "Campaign #1: Winter"), after.Single(r => r[0] == "Campaign #1: Winter"));
    }

    internal static List<string[]> ParseCsv(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else cell.Append(ch);
            }
            else if (ch == '"') quoted = true;
            else if (ch == ',') { row.Add(cell.ToString()); cell.Clear(); }
            else if (ch == '\r') { }
            else if (ch == '\n') { row.Add(cell.ToString()); cell.Clear(); rows.Add([.. row]); row.Clear(); }
            else cell.Append(ch);
        }
        return rows;
    }
}
