using Microsoft.AspNetCore.DataProtection;

namespace HappiTrack.Web.Features.Sites;

/// <summary>
/// Protects a site's signing secret at rest with ASP.NET Core Data Protection (its keys are in the
/// <c>DataProtectionKeys</c> table, encrypted per SECURITY.md) and gives the raw secret back only to
/// the code that verifies or makes a signature.
/// </summary>
public sealed class SiteSecrets(IDataProtectionProvider provider)
{
    // The purpose string isolates these payloads from cookies and every other protector in the app.
    private readonly IDataProtector _protector = provider.CreateProtector("HappiTrack.Sites.SigningSecret.v1");

    public string Protect(string secret) => _protector.Protect(secret);

    /// <summary>The raw secret, or null when the site has none or it cannot be read (keys lost).</summary>
    public string? Unprotect(string? protectedSecret)
    {
        if (string.IsNullOrEmpty(protectedSecret)) return null;
        try { return _protector.Unprotect(protectedSecret); }
        catch (System.Security.Cryptography.CryptographicException) { return null; }
    }
}
