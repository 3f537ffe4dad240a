using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Tests.Admin;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Tests.Security;

/// <summary>
/// Issue 15 item 2 (SECURITY.md row 15.2): whoever types a name at checkout or through the API writes into
/// the shop's own WhatsApp message. Only a short plain name is used; anything else greets "Hi there".
/// </summary>
public sealed class MessageNameTests : IAsyncLifetime
{
    private readonly AdminFactory _app = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_broadcast_uses_plain_names_and_greets_without_a_name_when_the_name_carries_a_url_hidden_characters_or_a_sentence()
    {
        var api = _app.NewClient().WithBearer(AdminFactory.ConfiguredApiToken);
        var names = new Dictionary<string, string?>
        {
            ["+4915112340001"] = "Refund due - claim at evil.example/pay", // 38 characters: short enough, still a URL
            ["+4915112340002"] = "Visit www.evil.example",
            ["+4915112340003"] = "https://evil.example",
            ["+4915112340004"] = "Call +49 151 0000000 now",
            ["+4915112340005"] = "Your account is locked please reply with your PIN",
            ["+4915112340006"] = "{link}",
            ["+4915112340007"] = "Amina O'Neil-Brückner",
            ["+4915112340008"] = "José María",
            ["+4915112340009"] = null,
        };
        foreach (var (phone, name) in names)
            Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/contacts/init", new { phone, name, optIn = true })).StatusCode);
        // Names stored before the API refused hidden characters: a right-to-left override that would show
        // "Amina" followed by reversed text, and a line break that starts a second, shop-looking paragraph.
        var legacy = new Dictionary<string, string>
        {
            ["+4915112340010"] = "Amina\u202Eyap/elpmaxe.live",
            ["+4915112340011"] = "Amina\nYour refund: call us",
        };
        foreach (var (phone, name) in legacy)
        {
            Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/contacts/init", new { phone, optIn = true })).StatusCode);
            await _app.WithDbAsync(db => db.Contacts.Where(c => c.Phone == phone).ExecuteUpdateAsync(s => s.SetProperty(c => c.Name, name)));
        }

        var response = await api.BroadcastConfirmedAsync("Winter", "Hi {name}, new picks: {link}", new { });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(11, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("queued").GetInt32());

        var messages = await _app.WithDbAsync(db => db.Set<Nudge>().Select(n => new { n.Contact.Phone, n.Message }).ToDictionaryAsync(n => n.Phone, n => n.Message));
        Assert.StartsWith("Hi Amina O'Neil-Brückner, new picks: http", messages["+4915112340007"]);
        Assert.StartsWith("Hi José María, new picks: http", messages["+4915112340008"]);
        foreach (var phone in names.Keys.Except(["+4915112340007", "+4915112340008"]).Concat(legacy.Keys))
        {
            Assert.StartsWith("Hi there, new picks: http", messages[phone]);
            Assert.DoesNotContain("evil", messages[phone]);
            Assert.Single(messages[phone].Split("http")[1..]); // the shop's own link only
        }
    }

    [Theory]
    [InlineData("Amina\u202Eyap")]
    [InlineData("Amina\u2066Test")]
    [InlineData("Amina\u200BTest")]
    [InlineData("Amina\u2028Test")]
    public async Task The_contacts_api_refuses_names_with_bidi_or_invisible_characters(string name)
    {
        var api = _app.NewClient().WithBearer(AdminFactory.ConfiguredApiToken);
        var response = await api.PostAsJsonAsync("/api/contacts/init", new { phone = "+4915112340020", name, optIn = true });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(await _app.WithDbAsync(db => db.Contacts.AnyAsync()));
    }
}
