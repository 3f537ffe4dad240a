using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using HappiTrack.Web.Features.Sites;
using HappiTrack.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace HappiTrack.Web.Tests.Sites;

/// <summary>Registers sites through the real <see cref="SiteAdmin"/> and posts signed events as a shop's server would.</summary>
internal static class SiteKit
{
    public static async Task<SiteCredentials> RegisterAsync(HappiTrackFactory app, string name = "Mug Shop", string origins = "https://mugs.example")
    {
        await using var scope = app.Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<SiteAdmin>()
            .RegisterAsync(new SiteRegistration(name, origins, "Europe/Berlin", null));
        Assert.Empty(result.Errors);
        return result.Created!;
    }

    public static HttpRequestMessage Signed(string key, string secret, string body, string? idempotencyKey = null, string? signature = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sites/{key}/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(SiteEventPipeline.SignatureHeader, signature ?? SiteEventPipeline.Sign(Encoding.UTF8.GetBytes(body), secret));
        request.Headers.Add(SiteEventPipeline.IdempotencyHeader, idempotencyKey ?? Guid.NewGuid().ToString("N"));
        return request;
    }

    public static Task<HttpResponseMessage> PostAsync(HttpClient client, SiteCredentials site, object body, string? idempotencyKey = null) =>
        client.SendAsync(Signed(site.Key, site.Secret, JsonSerializer.Serialize(body), idempotencyKey));

    public static object Order(string orderId, string phone, bool optIn = false, params (string Slug, decimal Price, int Qty)[] lines) => new
    {
        type = "order_placed",
        data = new
        {
            order_id = orderId, phone, opt_in = optIn, name = "Mia Muster",
            total = lines.Sum(l => l.Price * l.Qty),
            lines = lines.Select(l => new { slug = l.Slug, name = l.Slug.Replace('-', ' '), price = l.Price, qty = l.Qty }).ToArray(),
        },
    };

    public static async Task AssertProblemAsync(HttpResponseMessage response, int status)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.False(string.IsNullOrEmpty(doc.RootElement.GetProperty("title").GetString()));
    }
}
