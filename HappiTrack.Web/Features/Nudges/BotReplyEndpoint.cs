using HappiTrack.Web.Infrastructure;
using System.ComponentModel;
using System.Text.Json;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Nudges;

/// <summary>
/// <c>POST /api/whatsapp/confirm</c>: in <c>Dispatch:Mode=Webhook</c> the shop's bot, not Meta, receives the
/// contact's WhatsApp messages, so it forwards a reply here (the double opt-in's YES, or STOP/START):
/// <c>{"phone":"+4915112345678","text":"YES","timestamp":1733220000}</c> (timestamp: Unix seconds, optional),
/// signed exactly like the nudges we post to it: <c>X-HappiTrack-Signature: sha256=&lt;hex HMAC-SHA256 of
/// the body with Dispatch:Webhook:Secret&gt;</c>. Only the signature makes it the owner's word; unsigned or
/// wrongly signed posts are 401 and change nothing. In other modes the endpoint does not exist (404).
/// </summary>
public static class BotReplyEndpoint
{
    public const string Path = "/api/whatsapp/confirm";
    private const int MaxBodyBytes = 4096;

    public static IEndpointRouteBuilder MapBotReplies(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, ReceiveAsync).DisableAntiforgery()
            .WithName("BotReply")
            .WithTags("Webhooks")
            .WithSummary("The shop's bot forwards a contact's WhatsApp reply (YES, STOP, START) in Dispatch:Mode=Webhook")
            .WithDescription($"Signed like the nudges HappiTrack posts to the bot: `{WebhookNudgeDispatcher.SignatureHeader}: sha256=<hex HMAC-SHA256 " +
                "of the raw body with Dispatch:Webhook:Secret>`. 404 in other dispatch modes.")
            .DescribesBody<Reply>(contentTypes: "application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return app;
    }

    /// <summary>The body, as read (and documented).</summary>
    public sealed record Reply(
        [property: Description("The contact's phone number, international format.")] string? Phone,
        [property: Description("The message's text, 1-1000 characters.")] string? Text,
        [property: Description("When the contact sent it, Unix seconds (optional; never later than now).")] long? Timestamp);

    private static async Task<Results<Ok, NotFound, ProblemHttpResult, ValidationProblem>> ReceiveAsync(
        HttpRequest request, [FromHeader(Name = WebhookNudgeDispatcher.SignatureHeader)] string? signature, IOptions<DispatchOptions> options, WhatsAppWebhook webhook, AppDbContext db, TimeProvider clock,
        ILoggerFactory loggers, CancellationToken ct)
    {
        var dispatch = options.Value;
        // A problem document, not the site's HTML 404 page: callers of an /api path are programs.
        if (dispatch.Mode != DispatchModes.Webhook || string.IsNullOrEmpty(dispatch.Webhook.Secret))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No bot callback here",
                detail: "POST /api/whatsapp/confirm exists only in Dispatch:Mode=Webhook with a webhook secret configured.");
        var logger = loggers.CreateLogger(typeof(BotReplyEndpoint));
        var body = await WhatsAppWebhookEndpoints.ReadBoundedAsync(request, MaxBodyBytes, ct);
        if (body is null) return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Body too large.");
        if (string.IsNullOrEmpty(signature) || !WhatsAppWebhookEndpoints.SignatureMatches(body, signature, dispatch.Webhook.Secret))
        {
            logger.LogWarning("Bot reply refused: missing or wrong {Header}", WebhookNudgeDispatcher.SignatureHeader);
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Signature required.");
        }

        Reply? reply;
        try { reply = JsonSerializer.Deserialize<Reply>(body, new JsonSerializerOptions(JsonSerializerDefaults.Web)); }
        catch (JsonException) { reply = null; }
        if (reply is null) return Invalid("body", "Send {\"phone\", \"text\", \"timestamp\"} as JSON.");
        if (!PhoneNumber.TryNormalize(reply.Phone, out var phone)) return Invalid("phone", "Not a valid phone number. " + PhoneNumber.FormatHint);
        if (reply.Text is not { Length: > 0 and <= 1000 }) return Invalid("text", "'text' must be the message's text (1–1000 characters).");
        var now = clock.GetUtcNow().UtcDateTime;
        var at = now;
        if (reply.Timestamp is { } seconds)
        {
            if (seconds is < 0 or > 253402300799) return Invalid("timestamp", "'timestamp' must be Unix seconds.");
            // Never later than now: a reply stamped in the future would outrank every later STOP.
            at = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime is var stamped && stamped < now ? stamped : now;
        }

        // A consent change: durable against an OS crash, like the WhatsApp webhook's STOP/START.
        await using (await db.DurableWritesAsync(ct))
        {
            await webhook.ApplyReplyAsync(phone, reply.Text, at, ct);
            await db.SaveChangesAsync(ct);
        }
        return TypedResults.Ok();
    }

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: $"Invalid field '{field}'");
}
