using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using AngleSharp.Html.Parser;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Brain;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Crm;

/// <summary>The app with an admin, a bearer API client, a signed-in admin browser client, and the brain's arranging kit.</summary>
internal sealed class CrmKit : IAsyncDisposable
{
    public AdminFactory App { get; } = new();
    public BrainKit Brain { get; }
    public HttpClient Api { get; }

    /// <param name="configure">Settings for the app, applied before it starts (creating the API client starts it).</param>
    public CrmKit(Action<AdminFactory>? configure = null)
    {
        configure?.Invoke(App);
        Brain = new BrainKit(App);
        Api = App.NewClient().WithBearer(AdminFactory.ConfiguredApiToken);
    }

    public Task<HttpClient> AdminAsync() => App.AdminClientAsync();

    public async Task<string> NonGamingSlugAsync() => await App.WithDbAsync(db =>
        db.Products.Where(p => !p.Tags.Any(t => t.Slug == "gaming")).OrderBy(p => p.Id).Select(p => p.Slug).FirstAsync());

    public Task<int> NudgeAsync(int contactId, string status, DateTime sendAfter, DateTime? sentAt = null, int attempts = 0, string? lastError = null) =>
        App.WithDbAsync(async db =>
        {
            var code = NudgeOutbox.NewCode();
            var nudge = new Nudge
            {
                ContactId = contactId, Kind = NudgeKinds.InterestDiscount, Status = status, DedupKey = "test:" + code, Code = code,
                Message = "Hi", Link = "http://localhost/r/" + code, CreatedAt = Brain.Now, SendAfter = sendAfter, SentAt = sentAt,
                Attempts = attempts, LastError = lastError,
            };
            db.Add(nudge);
            await db.SaveChangesAsync();
            return nudge.Id;
        });

    public Task<Nudge> NudgeByIdAsync(int id) => App.WithDbAsync(db => db.Set<Nudge>().AsNoTracking().FirstAsync(n => n.Id == id));

    /// <summary>POSTs a page form the way a browser does: with the antiforgery token that page rendered.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string pagePath, string action, IEnumerable<KeyValuePair<string, string>> fields)
    {
        var token = await AdminFactory.AntiforgeryTokenAsync(client, pagePath);
        return await client.PostAsync(action, new FormUrlEncodedContent(fields.Append(new("__RequestVerificationToken", token))));
    }

    /// <summary>Every field a form would submit as rendered (unchecked boxes omitted).</summary>
    public static async Task<List<KeyValuePair<string, string>>> FormFieldsAsync(HttpClient client, string path, string formSelector)
    {
        var document = new HtmlParser().ParseDocument(await client.GetStringAsync(path));
        var form = document.QuerySelector(formSelector)!;
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var input in form.QuerySelectorAll("input[name], textarea[name], select[name]"))
        {
            var name = input.GetAttribute("name")!;
            if (name == "__RequestVerificationToken") continue;
            if (input.LocalName == "input" && input.GetAttribute("type") == "checkbox" && !input.HasAttribute("checked")) continue;
            var value = input.LocalName switch
            {
                "textarea" => input.TextContent,
                "select" => input.QuerySelector("option[selected]")?.GetAttribute("value") ?? "",
                _ => input.GetAttribute("value") ?? "",
            };
            fields.Add(new(name, value));
        }
        return fields;
    }

    /// <summary>Previews on the page and returns every field of the form the preview rendered, as a browser would post it.</summary>
    public static async Task<List<KeyValuePair<string, string>>> PreviewFormAsync(HttpClient admin, IEnumerable<KeyValuePair<string, string>> fields)
    {
        var response = await CrmKit.PostFormAsync(admin, "/admin/campaigns", "/admin/campaigns?handler=Preview", fields);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        var form = doc.QuerySelector("form.campaign-form")!;
        var posted = new List<KeyValuePair<string, string>>();
        foreach (var input in form.QuerySelectorAll("input[name], textarea[name], select[name]"))
        {
            var value = input.LocalName switch
            {
                "textarea" => input.TextContent.TrimStart('\n'),
                "select" => input.QuerySelector("option[selected]")?.GetAttribute("value") ?? "",
                _ => input.GetAttribute("value") ?? "",
            };
            posted.Add(new(input.GetAttribute("name")!, value));
        }
        return posted;
    }

    public static List<KeyValuePair<string, string>> With(List<KeyValuePair<string, string>> form, string key, string value) =>
        form.Select(f => f.Key == key ? new KeyValuePair<string, string>(key, value) : f).ToList();

    public static string Html(string s) => System.Net.WebUtility.HtmlDecode(s);

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}
