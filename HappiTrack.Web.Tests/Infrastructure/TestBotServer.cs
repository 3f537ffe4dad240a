using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HappiTrack.Web.Tests.Infrastructure;

/// <summary>
/// A real HTTP server on a loopback port that plays the WhatsApp bot (webhook) and Meta's Cloud
/// API in tests. It records every request and can be told to fail a share of them.
/// </summary>
public sealed class TestBotServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly Random _random = new(1234);
    private readonly Lock _randomLock = new();

    public sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body, int AnsweredStatus, DateTime ReceivedAtUtc);

    /// <summary>Decides the answer to each request; by default 200 with a Cloud-API-shaped body.</summary>
    public Func<HttpRequest, string, (int Status, string Body)> Responder { get; set; }

    /// <summary>Share of requests (0..1) answered with one of <see cref="FailureStatuses"/> instead.</summary>
    public double FailureRate { get; set; }
    public int[] FailureStatuses { get; set; } = [429, 500];

    /// <summary>Stamps <see cref="RecordedRequest.ReceivedAtUtc"/>; give it the app's fake clock to see outbox attempt times.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    public Uri BaseAddress { get; }
    public IReadOnlyCollection<RecordedRequest> Requests => _requests.ToArray();

    private TestBotServer(WebApplication app)
    {
        _app = app;
        Responder = (_, _) => (200, "{\"messaging_product\":\"whatsapp\",\"messages\":[{\"id\":\"wamid." + Guid.NewGuid().ToString("N") + "\"}]}");
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
    }

    public static async Task<TestBotServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        TestBotServer? server = null;
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var (status, responseBody) = server!.Decide(context.Request, body);
            server._requests.Enqueue(new RecordedRequest(
                context.Request.Method, context.Request.Path, context.Request.QueryString.Value ?? "",
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                body, status, server.Clock.GetUtcNow().UtcDateTime));
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(responseBody);
        });
        await app.StartAsync();
        server = new TestBotServer(app);
        return server;
    }

    private (int, string) Decide(HttpRequest request, string body)
    {
        if (FailureRate > 0)
        {
            bool fail; int status;
            lock (_randomLock)
            {
                fail = _random.NextDouble() < FailureRate;
                status = FailureStatuses[_random.Next(FailureStatuses.Length)];
            }
            if (fail) return (status, "{\"error\":{\"message\":\"injected failure\",\"code\":" + status + "}}");
        }
        return Responder(request, body);
    }

    public void Clear() => _requests.Clear();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
