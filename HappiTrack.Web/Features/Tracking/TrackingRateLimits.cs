using System.Globalization;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Tracking;

/// <summary>
/// ASP.NET Core's rate limiter for the ingestion endpoint: one fixed window per visitor cookie
/// chained with one per client IP, both configurable (<c>Tracking:RateLimit</c>). Only endpoints
/// carrying <see cref="Marker"/> are limited, so the global limiter leaves every other page alone.
/// </summary>
internal static class TrackingRateLimits
{
    public sealed class Marker
    {
        public static readonly Marker Instance = new();
    }

    public static IServiceCollection AddTrackingRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<TrackingOptions>>((limiter, tracking) =>
        {
            var limits = tracking.Value.RateLimit;
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(http =>
                    IsLimited(http) && http.FindVisitorId() is { } visitor
                        ? Window("v:" + visitor, limits.VisitorPermits, limits.Window)
                        : RateLimitPartition.GetNoLimiter("")),
                PartitionedRateLimiter.Create<HttpContext, string>(http =>
                    IsLimited(http)
                        ? Window("ip:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown"), limits.IpPermits, limits.Window)
                        : RateLimitPartition.GetNoLimiter("")));
            limiter.OnRejected = (context, ct) =>
            {
                var response = context.HttpContext.Response;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : limits.Window;
                response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                // A flood is answered thousands of times a second: the same few bytes each time, no serializer.
                response.ContentType = "application/problem+json";
                response.ContentLength = TooManyRequestsBody.Length;
                return response.Body.WriteAsync(TooManyRequestsBody, ct);
            };
        });
        services.AddRateLimiter(_ => { });
        return services;
    }

    private static readonly byte[] TooManyRequestsBody = JsonSerializer.SerializeToUtf8Bytes(new ProblemDetails
    {
        Type = "https://tools.ietf.org/html/rfc6585#section-4",
        Title = "Too many requests",
        Status = StatusCodes.Status429TooManyRequests,
        Detail = "Slow down; retry after the delay in Retry-After.",
    });

    private static bool IsLimited(HttpContext http) => http.GetEndpoint()?.Metadata.GetMetadata<Marker>() is not null;

    private static RateLimitPartition<string> Window(string key, int permits, TimeSpan window) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, permits),
            Window = window,
            QueueLimit = 0,
        });
}
