using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace HappiTrack.Web.Features.Crm;

/// <summary>What a preview id vouches for: this message and segment reached this many contacts at this time.</summary>
public sealed record CampaignPreviewTicket(string Fingerprint, int Reach, DateTime IssuedAt);

/// <summary>
/// Preview ids: the preview's fingerprint, reach and time, sealed with Data Protection. Nothing is
/// stored, and the keys are shared by every instance (PostgreSQL scale-out), so a send on another
/// instance can check a preview made here; a tampered or foreign id does not unprotect.
/// </summary>
public sealed class CampaignPreviews(IDataProtectionProvider protection)
{
    /// <summary>A preview older than this no longer vouches for a send: the segment's people move on.</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromMinutes(15);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly IDataProtector _protector = protection.CreateProtector("HappiTrack.Crm.CampaignPreview.v1");

    /// <summary>
    /// Identifies exactly what is sent: the message as typed, the normalised segment and the holdout (a preview at 0 %
    /// must not vouch for a send that keeps half the segment back). The name is only a label.
    /// </summary>
    public static string Fingerprint(string? message, CampaignSegment segment, int holdoutPercent = 0)
    {
        var normalised = segment with { Tag = string.IsNullOrWhiteSpace(segment.Tag) ? null : segment.Tag.Trim() };
        var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { message = message ?? "", segment = normalised, holdout = holdoutPercent }, Json));
        return Convert.ToHexString(SHA256.HashData(bytes));
    }

    public string Issue(CampaignPreviewTicket ticket) =>
        _protector.Protect(string.Join('|', ticket.Fingerprint, ticket.Reach.ToString(CultureInfo.InvariantCulture), ticket.IssuedAt.Ticks.ToString(CultureInfo.InvariantCulture)));

    public CampaignPreviewTicket? Read(string? previewId)
    {
        if (string.IsNullOrWhiteSpace(previewId) || previewId.Length > 2000) return null;
        string plain;
        try
        {
            plain = _protector.Unprotect(previewId);
        }
        catch (CryptographicException)
        {
            return null;
        }
        var parts = plain.Split('|');
        if (parts.Length != 3
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var reach)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks) return null;
        return new CampaignPreviewTicket(parts[0], reach, new DateTime(ticks, DateTimeKind.Utc));
    }
}
