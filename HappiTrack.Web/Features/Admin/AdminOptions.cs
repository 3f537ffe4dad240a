namespace HappiTrack.Web.Features.Admin;

/// <summary>
/// The <c>Admin</c> section. <c>Email</c> and <c>Password</c> seed the admin account (both or neither:
/// <see cref="AdminSeeder"/> logs and seeds nothing when only one is set, so a half-configured app still
/// starts and says why); <c>ApiToken</c> is the configured bearer token of the admin API.
/// </summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    public string? Email { get; set; }

    public string? Password { get; set; }

    public string? ApiToken { get; set; }
}
