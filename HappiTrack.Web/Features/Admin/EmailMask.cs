namespace HappiTrack.Web.Features.Admin;

/// <summary>Log-safe form of an email address: <c>amina@example.com</c> becomes <c>a***@example.com</c>.</summary>
public static class EmailMask
{
    public static string Mask(string? email)
    {
        if (string.IsNullOrWhiteSpace(email)) return "(empty)";
        var trimmed = email.Trim();
        // Attackers type anything into a login form; cap what reaches the logs.
        if (trimmed.Length > 254) trimmed = trimmed[..254];
        var at = trimmed.LastIndexOf('@');
        if (at <= 0) return "***";
        var domain = string.Concat(trimmed[at..].Where(c => !char.IsControl(c)));
        return char.IsControl(trimmed[0]) ? $"***{domain}" : $"{trimmed[0]}***{domain}";
    }
}
