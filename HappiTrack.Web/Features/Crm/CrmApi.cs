using System.ComponentModel;
using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Settings;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace HappiTrack.Web.Features.Crm;

/// <summary>
/// <see cref="Reach"/> is <see cref="Queued"/>: the contacts who would get (or got) the message. A dry run adds
/// <see cref="PreviewId"/> (valid until <see cref="PreviewExpiresAt"/>) and, given a message, three <see cref="Samples"/>.
/// </summary>
/// <summary>
/// <c>reach</c> is what a send confirms (before the holdout); <c>heldOut</c> after a send, or <c>expectedReachAfterHoldout</c>
/// on a dry run, says how many of them the control groups keep back.
/// </summary>
public sealed record BroadcastResponse(int? CampaignId, int Matched, int Queued, int Deferred, SuppressedCounts Suppressed,
    int Reach, string? PreviewId = null, DateTime? PreviewExpiresAt = null, IReadOnlyList<CampaignSample>? Samples = null,
    int HoldoutPercent = 0, int? HeldOut = null, int? ExpectedReachAfterHoldout = null);

/// <summary>
/// The documented body of <c>POST /api/campaign/broadcast</c>; the endpoint reads each field as raw JSON so that a bad one
/// is named in the 400.
/// </summary>
public sealed record BroadcastRequestDocument(
    [property: Description("The campaign's name; required for a send.")] string? Name,
    [property: Description("The message text; required for a send.")] string? Message,
    BroadcastSegmentDocument? Segment,
    [property: Description("True: count the reach and return a previewId (and samples when a message is given); nothing is sent.")] bool? DryRun,
    [property: Description("For a send without previewId: the number of contacts the caller expects it to reach.")] int? Confirm,
    [property: Description("The previewId of a dry run of this message and segment.")] string? PreviewId);

public sealed record BroadcastSegmentDocument(bool? Vip, double? MinScore, string? Tag, bool? AbandonedCart, int? SeenWithinDays);

/// <summary><c>GET /api/contacts</c>, <c>POST /api/campaign/broadcast</c>, <c>GET /api/campaign/logs</c> (SPEC §6).</summary>
internal static class CrmApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Query values arrive as strings so a malformed one is answered with problem+json naming it.</summary>
    public static async Task<Results<Ok<ContactListPage>, ValidationProblem>> ListContactsAsync(
        ContactList list, string? page, string? pageSize, string? search, string? sort, string? vip, string? optedIn, string? minScore, string? hasCart,
        string? site, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var query = new ContactListQuery(
            Page: ParseInt(page, "page", 1, errors),
            PageSize: ParseInt(pageSize, "pageSize", 25, errors),
            Search: string.IsNullOrWhiteSpace(search) ? null : search,
            Sort: string.IsNullOrWhiteSpace(sort) ? ContactList.DefaultSort : sort,
            Vip: ParseBool(vip, "vip", errors),
            OptedIn: ParseBool(optedIn, "optedIn", errors),
            MinScore: ParseDouble(minScore, "minScore", errors),
            HasCart: ParseBool(hasCart, "hasCart", errors),
            // The admin table's site scope (issue 20); an id of no site matches no contact.
            Site: string.IsNullOrWhiteSpace(site) ? null : ParseInt(site, "site", 0, errors));
        foreach (var (key, value) in ContactList.Validate(query)) errors.TryAdd(key, value);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        return TypedResults.Ok(await list.GetAsync(query, ct));
    }

    private sealed record BroadcastSegment(JsonElement? Vip, JsonElement? MinScore, JsonElement? Tag, JsonElement? AbandonedCart, JsonElement? SeenWithinDays);
    private sealed record BroadcastRequest(JsonElement? Name, JsonElement? Message, BroadcastSegment? Segment, JsonElement? DryRun,
        JsonElement? Confirm, JsonElement? PreviewId, JsonElement? HoldoutPercent);

    /// <summary>
    /// A send (no <c>dryRun</c>) must carry <c>previewId</c> from a dry run of the same message and segment
    /// (at most 15 minutes old) or <c>confirm</c>, the reach the caller expects; anything else is refused
    /// (400 without either, 409 when stale or the reach differs, with the current <c>reach</c>).
    /// </summary>
    public static async Task<Results<Ok<BroadcastResponse>, ValidationProblem, ProblemHttpResult>> BroadcastAsync(
        HttpRequest request, CampaignService campaigns, ClaimsPrincipal user, CancellationToken ct)
    {
        BroadcastRequest? body;
        try
        {
            body = await request.ReadFromJsonAsync<BroadcastRequest>(Json, ct);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return Invalid("body", "Send a JSON object {\"name\", \"message\", \"segment\", \"dryRun\"} as application/json.");
        }
        if (body is null) return Invalid("body", "Send a JSON object {\"name\", \"message\", \"segment\", \"dryRun\"}.");

        var errors = new Dictionary<string, string[]>();
        var dryRun = Bool(body.DryRun, "dryRun", errors) ?? false;
        var segment = new CampaignSegment(
            Bool(body.Segment?.Vip, "segment.vip", errors),
            Number(body.Segment?.MinScore, "segment.minScore", errors),
            Text(body.Segment?.Tag, "segment.tag", errors),
            Bool(body.Segment?.AbandonedCart, "segment.abandonedCart", errors),
            Number(body.Segment?.SeenWithinDays, "segment.seenWithinDays", errors) is { } d
                ? (d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue ? (int)d : Fail(errors, "segment.seenWithinDays", "'seenWithinDays' must be a whole number of days."))
                : null);
        var holdout = Number(body.HoldoutPercent, "holdoutPercent", errors) is { } h
            ? (h == Math.Floor(h) && h is >= 0 and <= MarketingOptions.MaxPercent ? (int)h : Fail(errors, "holdoutPercent", $"'holdoutPercent' must be a whole number from 0 to {MarketingOptions.MaxPercent}.") ?? 0)
            : 0;
        var draft = new CampaignDraft(Text(body.Name, "name", errors), Text(body.Message, "message", errors), segment, holdout);
        var previewId = Text(body.PreviewId, "previewId", errors);
        var confirm = Number(body.Confirm, "confirm", errors) is { } c
            ? (c == Math.Floor(c) && c is >= 0 and <= int.MaxValue ? (int)c : Fail(errors, "confirm", "'confirm' must be the whole number of contacts the campaign reaches."))
            : null;
        // A dry run answers "how many would this reach", so it does not need the message yet.
        foreach (var (key, value) in await campaigns.ValidateAsync(draft, requireName: !dryRun, requireMessage: !dryRun, ct)) errors.TryAdd(key, value);
        if (!dryRun && errors.Count == 0 && previewId is null && confirm is null)
            errors["confirm"] = ["A send needs 'previewId' from a dry run of this message and segment, or 'confirm' with the number of contacts it reaches."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: $"Invalid field '{errors.Keys.First()}'");

        if (dryRun)
        {
            var preview = await campaigns.PreviewAsync(segment, draft.Message, holdout, ct);
            var o = preview.Outcome;
            return TypedResults.Ok(new BroadcastResponse(null, o.Matched, o.Queued, o.Deferred, o.Suppressed, preview.Reach, preview.PreviewId, preview.ExpiresAt, preview.Samples,
                holdout, ExpectedReachAfterHoldout: preview.ExpectedReachAfterHoldout));
        }
        var result = await campaigns.SendAsync(draft, new SendConfirmation(previewId, confirm), user.Identity?.Name, ct);
        if (result.Refusal == SendRefusal.Missing) return Invalid("previewId", result.Problem!);
        if (!result.Sent)
            return TypedResults.Problem(new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "Not sent: the confirmation is not current",
                Detail = result.Problem,
                Extensions = { ["reason"] = result.Refusal.ToString(), ["reach"] = result.CurrentReach },
            });
        var outcome = result.Outcome!;
        return TypedResults.Ok(new BroadcastResponse(outcome.CampaignId, outcome.Matched, outcome.Queued, outcome.Deferred, outcome.Suppressed,
            outcome.Queued + outcome.HeldOut, HoldoutPercent: holdout, HeldOut: outcome.HeldOut));
    }

    /// <summary>With <c>campaignId</c>: that campaign's messages. Without: the recent campaigns, to find an id.</summary>
    public static async Task<Results<Ok<CampaignLog>, Ok<IReadOnlyList<CampaignListItem>>, ValidationProblem, ProblemHttpResult>> LogsAsync(
        CampaignService campaigns, string? campaignId, CancellationToken ct)
    {
        if (campaignId is null) return TypedResults.Ok(await campaigns.ListAsync(100, ct));
        if (!int.TryParse(campaignId, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id <= 0)
            return Invalid("campaignId", "campaignId must be a positive integer.");
        var log = await campaigns.LogAsync(id, null, ct);
        return log is null
            ? TypedResults.Problem(new ProblemDetails { Status = 404, Title = "Campaign not found", Detail = $"No campaign with id {id}." })
            : TypedResults.Ok(log);
    }

    private static int ParseInt(string? value, string field, int fallback, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(value)) return fallback;
        if (int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)) return parsed;
        errors[field] = [$"{field} must be a whole number."];
        return fallback;
    }

    private static bool? ParseBool(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (bool.TryParse(value, out var parsed)) return parsed;
        errors[field] = [$"{field} must be true or false."];
        return null;
    }

    private static double? ParseDouble(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed)) return parsed;
        errors[field] = [$"{field} must be a number."];
        return null;
    }

    private static bool? Bool(JsonElement? element, string field, Dictionary<string, string[]> errors) => element switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => Fail<bool?>(errors, field, $"'{field}' must be true or false."),
    };

    private static double? Number(JsonElement? element, string field, Dictionary<string, string[]> errors) => element switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.Number } e when e.TryGetDouble(out var d) && double.IsFinite(d) => d,
        _ => Fail<double?>(errors, field, $"'{field}' must be a number."),
    };

    private static string? Text(JsonElement? element, string field, Dictionary<string, string[]> errors)
    {
        if (element is null or { ValueKind: JsonValueKind.Null }) return null;
        if (element.Value.ValueKind != JsonValueKind.String) return Fail<string?>(errors, field, $"'{field}' must be text.");
        try
        {
            return element.Value.GetString();
        }
        catch (InvalidOperationException)
        {
            return Fail<string?>(errors, field, $"'{field}' is not valid text.");
        }
    }

    private static int? Fail(Dictionary<string, string[]> errors, string field, string message) => Fail<int?>(errors, field, message);

    private static T Fail<T>(Dictionary<string, string[]> errors, string field, string message)
    {
        errors.TryAdd(field, [message]);
        return default!;
    }

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: $"Invalid field '{field}'");
}
