using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Shared;

/// <summary>
/// The shop's time zone (for quiet hours) and the one public base URL of every link we hand out
/// (nudge links, contacts' tracked links). Links are
/// built from <c>Shop:PublicBaseUrl</c>, else from the server's own listening address, never from a
/// request's Host header, which a sender controls.
/// </summary>
public sealed class ShopContext(IOptionsMonitor<ShopOptions> options, IServer server)
{
    public TimeZoneInfo TimeZone { get; } = ResolveZone(options.CurrentValue.TimeZone);

    public string BaseUrl
    {
        get
        {
            var configured = options.CurrentValue.PublicBaseUrl;
            if (!string.IsNullOrWhiteSpace(configured)) return configured.TrimEnd('/');
            var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            if (address is null) return "http://localhost";
            return address.Replace("://[::]", "://localhost").Replace("://0.0.0.0", "://localhost").Replace("://+", "://localhost").TrimEnd('/');
        }
    }

    public string NudgeLink(string code) => $"{BaseUrl}/r/{code}";

    /// <summary>A contact's tracked link (SPEC §3), <c>/?ht=&lt;token&gt;</c>.</summary>
    public string TrackedLink(string linkToken) => $"{BaseUrl}/?ht={linkToken}";

    public static TimeZoneInfo ResolveZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id)) return TimeZoneInfo.Utc;
        // ShopOptionsValidator has already failed start-up on an unknown id.
        return TimeZoneInfo.FindSystemTimeZoneById(id);
    }
}
