using HappiTrack.Web.Features.Nudges;

namespace HappiTrack.Web.Features.Sites;

/// <summary><c>POST /api/sites/{key}/events</c>: a site's server sends its signed commerce events (issue 20).</summary>
public static class SiteEventsEndpoint
{
    public const string Route = "/api/sites/{key}/events";

    public static IEndpointRouteBuilder MapSites(this IEndpointRouteBuilder app)
    {
        // Authenticated by the body's signature, not a cookie: antiforgery does not apply.
        app.MapPost(Route, ReceiveAsync).DisableAntiforgery().WithTags("Sites")
            .WithName("SiteEvents")
            .WithSummary("Receive a signed commerce event (product_upserted, cart_updated, order_placed, order_cancelled) from a site's server")
            .WithDescription("Signed with `X-HappiTrack-Signature: sha256=<hex HMAC-SHA256 of the raw body with the site's secret>` and " +
                "an `Idempotency-Key`: a replay answers the first verdict and stores nothing new; the same key with another body is 422.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return app;
    }

    private static async Task<IResult> ReceiveAsync(string key, HttpRequest request, SiteEventPipeline pipeline, CancellationToken ct)
    {
        byte[]? body;
        try { body = await WhatsAppWebhookEndpoints.ReadBoundedAsync(request, SiteEventPipeline.MaxBodyBytes, ct); }
        catch (BadHttpRequestException) { return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Incomplete body"); }
        var outcome = await pipeline.ReceiveAsync(key, body,
            request.Headers[SiteEventPipeline.SignatureHeader].ToString() is { Length: > 0 } s ? s : null,
            request.Headers[SiteEventPipeline.IdempotencyHeader].ToString() is { Length: > 0 } k ? k : null, ct: ct);
        return ToResult(outcome, request.HttpContext);
    }

    public static IResult ToResult(SiteEventOutcome outcome, HttpContext http)
    {
        if (outcome.Json is { } json)
        {
            if (outcome.Verdict == SiteEventPipeline.Replayed) http.Response.Headers["Idempotent-Replayed"] = "true";
            return Results.Content(json, "application/json", statusCode: outcome.Status);
        }
        var extensions = outcome.Field is null ? null : new Dictionary<string, object?> { ["field"] = outcome.Field };
        return TypedResults.Problem(statusCode: outcome.Status, title: outcome.Title, detail: outcome.Detail, extensions: extensions);
    }
}
