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
    int HoldoutPercent = 0, int? HeldOut = null, int? ExpectedReachAfterHoldout = null, DateTime? ScheduledFor = null);

/// <summary>
/// A campaign's state for the API. <see cref="ScheduledFor"/> is UTC; <see cref="ScheduledForShopTime"/> is the same
/// moment on the shop's wall clock (<see cref="ShopTimeZone"/>), as it was given. The counts are the guards' decisions
/// when it started (zero before).
/// </summary>
public sealed record CampaignStateResponse(int CampaignId, string Name, string State, string StateName, DateTime? ScheduledFor,
    string? ScheduledForShopTime, string ShopTimeZone, DateTime CreatedAt, string? CreatedBy, DateTime? StartedAt, DateTime? CancelledAt,
    string? CancelledBy, int Matched, int Queued, int HeldOut, int? ReachAtConfirmation = null);

/// <summary>The documented body of <c>POST /api/campaign/schedule</c>: the broadcast's fields and when to start.</summary>
public sealed record ScheduleRequestDocument(
    [property: Description("The campaign's name; required unless dryRun.")] string? Name,
    [property: Description("The message text; required.")] string? Message,
    BroadcastSegmentDocument? Segment,
    [property: Description("When to start, on the shop's wall clock (Shop:TimeZone) without an offset: yyyy-MM-ddTHH:mm[:ss]. " +
        "Refused: an offset or Z, a time the clocks skip or repeat, less than a minute ahead, more than 90 days ahead.")] string? ScheduleAt,
    [property: Description("True: check the time, count the reach and return a previewId; nothing is stored.")] bool? DryRun,
    [property: Description("Without previewId: the number of contacts the caller expects it to reach now (compared now).")] int? Confirm,
    [property: Description("The previewId of a dry run (here or on /broadcast) of this message, segment and holdout.")] string? PreviewId,
    [property: Description("Share (0-50) of the reachable contacts held out as the campaign's control group.")] int? HoldoutPercent);

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
        JsonElement? Confirm, JsonElement? PreviewId, JsonElement? HoldoutPercent, JsonElement? ScheduleAt);

    /// <summary>A broadcast or schedule body, each field checked; <see cref="Errors"/> names the bad ones.</summary>
    private sealed record ParsedRequest(CampaignDraft Draft, bool DryRun, string? PreviewId, int? Confirm, string? ScheduleAt, Dictionary<string, string[]> Errors);

    private static async Task<(ParsedRequest? Request, ValidationProblem? Problem)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        BroadcastRequest? body;
        try
        {
            body = await request.ReadFromJsonAsync<BroadcastRequest>(Json, ct);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return (null, Invalid("body", "Send a JSON object {\"name\", \"message\", \"segment\", \"dryRun\"} as application/json."));
        }
        if (body is null) return (null, Invalid("body", "Send a JSON object {\"name\", \"message\", \"segment\", \"dryRun\"}."));

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
        var scheduleAt = Text(body.ScheduleAt, "scheduleAt", errors);
        return (new ParsedRequest(draft, dryRun, previewId, confirm, scheduleAt, errors), null);
    }

    /// <summary>
    /// A send (no <c>dryRun</c>) must carry <c>previewId</c> from a dry run of the same message and segment
    /// (at most 15 minutes old) or <c>confirm</c>, the reach the caller expects; anything else is refused
    /// (400 without either, 409 when stale or the reach differs, with the current <c>reach</c>).
    /// </summary>
    public static async Task<Results<Ok<BroadcastResponse>, ValidationProblem, ProblemHttpResult>> BroadcastAsync(
        HttpRequest request, CampaignService campaigns, ClaimsPrincipal user, CancellationToken ct)
    {
        var (parsed, invalid) = await ReadAsync(request, ct);
        if (invalid is not null) return invalid;
        var (draft, dryRun, previewId, confirm, scheduleAt, errors) = parsed!;
        // A caller who meant "later" must not get "now".
        if (scheduleAt is not null) errors.TryAdd("scheduleAt", ["This endpoint sends now; to start later, POST the same body to /api/campaign/schedule."]);
        var segment = draft.Segment!;
        var holdout = draft.HoldoutPercent;
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
        if (!result.Sent) return NotCurrent("Not sent: the confirmation is not current", result);
        var outcome = result.Outcome!;
        return TypedResults.Ok(new BroadcastResponse(outcome.CampaignId, outcome.Matched, outcome.Queued, outcome.Deferred, outcome.Suppressed,
            outcome.Queued + outcome.HeldOut, HoldoutPercent: holdout, HeldOut: outcome.HeldOut));
    }

    private static ProblemHttpResult NotCurrent(string title, CampaignSendResult result) => TypedResults.Problem(new ProblemDetails
    {
        Status = StatusCodes.Status409Conflict,
        Title = title,
        Detail = result.Problem,
        Extensions = { ["reason"] = result.Refusal.ToString(), ["reach"] = result.CurrentReach },
    });

    /// <summary>
    /// Stores a campaign to start at <c>scheduleAt</c> (the shop's wall clock), under the send's rules: a dry run
    /// (here or on /broadcast) first and its <c>previewId</c>, or <c>confirm</c> equal to the reach now. The reach
    /// when it starts is the guards' decision then, as on the page.
    /// </summary>
    public static async Task<Results<Created<CampaignStateResponse>, Ok<BroadcastResponse>, ValidationProblem, ProblemHttpResult>> ScheduleAsync(
        HttpRequest request, CampaignService campaigns, ClaimsPrincipal user, CancellationToken ct)
    {
        var (parsed, invalid) = await ReadAsync(request, ct);
        if (invalid is not null) return invalid;
        var (draft, dryRun, previewId, confirm, scheduleAt, errors) = parsed!;
        // Unlike a broadcast's dry run, this one vouches for a scheduled message, so the message is needed now.
        foreach (var (key, value) in await campaigns.ValidateAsync(draft, requireName: !dryRun, requireMessage: true, ct)) errors.TryAdd(key, value);
        DateTime at = default;
        if (string.IsNullOrWhiteSpace(scheduleAt))
            errors.TryAdd("scheduleAt", [$"Give the start time on the shop's clock ({campaigns.ShopZoneName}), e.g. 2026-12-24T09:30."]);
        else if (HasOffset(scheduleAt))
            errors.TryAdd("scheduleAt", [$"Give the shop's wall-clock time ({campaigns.ShopZoneName}) without an offset or Z, e.g. 2026-12-24T09:30."]);
        else if (!campaigns.TryParseSchedule(scheduleAt, refuseAmbiguous: true, out at, out var timeError))
            errors.TryAdd("scheduleAt", [timeError!]);
        if (!dryRun && errors.Count == 0 && previewId is null && confirm is null)
            errors["confirm"] = ["Scheduling needs 'previewId' from a dry run of this message and segment, or 'confirm' with the number of contacts it reaches now."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: $"Invalid field '{errors.Keys.First()}'");

        if (dryRun)
        {
            var preview = await campaigns.PreviewAsync(draft.Segment!, draft.Message, draft.HoldoutPercent, ct);
            var o = preview.Outcome;
            return TypedResults.Ok(new BroadcastResponse(null, o.Matched, o.Queued, o.Deferred, o.Suppressed, preview.Reach, preview.PreviewId, preview.ExpiresAt,
                preview.Samples, draft.HoldoutPercent, ExpectedReachAfterHoldout: preview.ExpectedReachAfterHoldout, ScheduledFor: at));
        }
        var result = await campaigns.ScheduleAsync(draft, new SendConfirmation(previewId, confirm), at, user.Identity?.Name, ct);
        if (result.Refusal == SendRefusal.Missing) return Invalid("previewId", result.Problem!);
        if (!result.Sent) return NotCurrent("Not scheduled: the confirmation is not current", result);
        var campaign = (await campaigns.FindAsync(result.Outcome!.CampaignId!.Value, ct))!;
        return TypedResults.Created($"/api/campaign/{campaign.Id}", State(campaign, campaigns) with { ReachAtConfirmation = result.CurrentReach });
    }

    /// <summary>A time with an offset names an instant, not the shop's wall clock this endpoint reads; refused rather than guessed.</summary>
    private static bool HasOffset(string value)
    {
        var time = value.Trim();
        var t = time.IndexOfAny(['T', 't', ' ']);
        if (t < 0) return false;
        var clock = time[(t + 1)..];
        return clock.EndsWith('Z') || clock.EndsWith('z') || clock.Contains('+') || clock.Contains('-');
    }

    public static async Task<Results<Ok<CampaignStateResponse>, ValidationProblem, ProblemHttpResult>> GetStateAsync(
        string id, CampaignService campaigns, CancellationToken ct)
    {
        if (ParseId(id) is not { } campaignId) return Invalid("id", "id must be a positive integer.");
        var campaign = await campaigns.FindAsync(campaignId, ct);
        return campaign is null ? CampaignNotFound(campaignId) : TypedResults.Ok(State(campaign, campaigns));
    }

    /// <summary>Calls off a scheduled campaign before the <c>campaigns:start</c> job starts it; 409 once it started or was cancelled.</summary>
    public static async Task<Results<Ok<CampaignStateResponse>, ValidationProblem, ProblemHttpResult>> CancelAsync(
        string id, CampaignService campaigns, ClaimsPrincipal user, CancellationToken ct)
    {
        if (ParseId(id) is not { } campaignId) return Invalid("id", "id must be a positive integer.");
        var cancelled = await campaigns.CancelAsync(campaignId, user.Identity?.Name, ct);
        var campaign = await campaigns.FindAsync(campaignId, ct);
        if (campaign is null) return CampaignNotFound(campaignId);
        if (!cancelled)
            return TypedResults.Problem(new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "Not cancelled: the campaign is not scheduled any more",
                Detail = campaign.State == CampaignStates.Cancelled
                    ? $"Campaign {campaign.Id} was cancelled already."
                    : $"Campaign {campaign.Id} started at {campaign.StartedAt:yyyy-MM-ddTHH:mm:ssZ}; its messages are written.",
                Extensions = { ["state"] = campaign.State },
            });
        return TypedResults.Ok(State(campaign, campaigns));
    }

    private static int? ParseId(string id) =>
        int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0 ? parsed : null;

    private static ProblemHttpResult CampaignNotFound(int id) =>
        TypedResults.Problem(new ProblemDetails { Status = 404, Title = "Campaign not found", Detail = $"No campaign with id {id}." });

    private static CampaignStateResponse State(Campaign c, CampaignService campaigns) => new(c.Id, c.Name, c.State, CampaignStates.Describe(c.State),
        c.ScheduledFor is { } at ? DateTime.SpecifyKind(at, DateTimeKind.Utc) : null,
        c.ScheduledFor is { } local ? campaigns.ShopTime(local).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) : null,
        campaigns.ShopZoneName, DateTime.SpecifyKind(c.CreatedAt, DateTimeKind.Utc), c.CreatedBy,
        c.StartedAt is { } s ? DateTime.SpecifyKind(s, DateTimeKind.Utc) : null,
        c.CancelledAt is { } x ? DateTime.SpecifyKind(x, DateTimeKind.Utc) : null, c.CancelledBy, c.Matched, c.Queued, c.HeldOut);

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
