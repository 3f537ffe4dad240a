namespace HappiTrack.Web.Features.Shared;

/// <summary>
/// Appends one row to the audit trail (issue 18): who did what to which target. Lives in Shared so a
/// feature can record its actions without depending on the Audit feature; the actor and IP come from
/// the current request (a bearer caller is <c>api-token:&lt;name&gt;</c>).
/// </summary>
public interface IAuditLog
{
    /// <param name="details">Serialised to JSON as is (e.g. <c>new { before, after }</c>); never put secrets in it.</param>
    Task RecordAsync(string action, string? target, object? details = null, CancellationToken ct = default);

    /// <summary>For actions taken before the request has a signed-in user (sign-in itself).</summary>
    Task RecordAsAsync(string actor, string action, string? target, object? details = null, CancellationToken ct = default);

    /// <summary>
    /// An action a shopper took on their own data (actor <see cref="AuditActors.Shopper"/>): no target and no IP,
    /// so the trail proves the request was honoured without itself becoming data about that person.
    /// </summary>
    Task RecordShopperAsync(string action, object? details = null, CancellationToken ct = default);
}

public static class AuditActors
{
    public const string Shopper = "shopper";
}

/// <summary>The <c>action</c> values of audit rows; dotted, noun first, so a prefix filter finds a family.</summary>
public static class AuditActions
{
    public const string SignIn = "auth.sign_in";
    public const string SignInFailed = "auth.sign_in_failed";
    public const string UserCreate = "user.create";
    public const string UserDisable = "user.disable";
    public const string UserEnable = "user.enable";
    public const string UserPasswordReset = "user.password_reset";
    public const string UserRoleChange = "user.role_change";
    public const string ApiTokenCreate = "api_token.create";
    public const string ApiTokenRevoke = "api_token.revoke";
    public const string RuleChange = "rule.change";
    public const string CampaignPreview = "campaign.preview";
    public const string CampaignSend = "campaign.send";
    public const string CampaignSchedule = "campaign.schedule";
    public const string CampaignCancel = "campaign.cancel";
    public const string OutboxRetry = "outbox.retry";
    public const string OutboxCancel = "outbox.cancel";
    public const string ContactEdit = "contact.edit";
    public const string ContactOptOut = "contact.opt_out";
    public const string ContactOptIn = "contact.opt_in";
    public const string ContactNote = "contact.note";
    public const string ContactExport = "contact.export";
    /// <summary>The contacts list downloaded as CSV (personal data of many people): details hold the filter and the row count.</summary>
    public const string ContactListExport = "contact_list.export";
    public const string ContactErase = "contact.erase";
    public const string BrowsingDataErase = "browsing_data.erase";
    public const string SiteCreate = "site.create";
    public const string SiteRotateSecret = "site.rotate_secret";
    public const string SiteRevoke = "site.revoke";
    public const string SiteTestEvent = "site.test_event";
    public const string SiteCartRestore = "site.cart_restore";
}
