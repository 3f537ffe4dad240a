using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Infrastructure;

/// <summary>
/// <c>ForwardedHeaders</c>: running behind a TLS-terminating reverse proxy. Off by default, because
/// a client talking to Kestrel directly could otherwise claim any address (escaping the per-IP
/// limits) or claim HTTPS. When on, <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> are taken
/// only from the proxies listed in <see cref="KnownProxies"/> (addresses) and <see cref="KnownNetworks"/>
/// (CIDR); with neither listed, only a proxy on the same machine (loopback) is trusted.
/// <c>X-Forwarded-Host</c> is never used: the Host header is the proxy's to pass on.
/// </summary>
public sealed class ForwardedHeadersSettings
{
    public const string Section = "ForwardedHeaders";

    public bool Enabled { get; set; }
    public List<string> KnownProxies { get; set; } = [];
    public List<string> KnownNetworks { get; set; } = [];
    /// <summary>How many proxies in front of the app (entries of X-Forwarded-For read from the right).</summary>
    public int ForwardLimit { get; set; } = 1;

    internal IEnumerable<string> Problems()
    {
        foreach (var proxy in KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
            yield return $"{Section}:KnownProxies: '{proxy}' is not an IP address.";
        foreach (var network in KnownNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)))
            yield return $"{Section}:KnownNetworks: '{network}' is not a network in CIDR notation (e.g. 10.0.0.0/8).";
        if (ForwardLimit < 1) yield return $"{Section}:ForwardLimit must be at least 1.";
    }
}

public static class ForwardedHeadersSetup
{
    public static IServiceCollection AddForwardedHeadersSupport(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersSettings>()
            .BindConfiguration(ForwardedHeadersSettings.Section)
            .Validate(s => !s.Problems().Any(), "ForwardedHeaders is misconfigured")
            .ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ForwardedHeadersSettings>>((options, settings) =>
        {
            var s = settings.Value;
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.ForwardLimit = s.ForwardLimit;
            if (s.KnownProxies.Count == 0 && s.KnownNetworks.Count == 0) return; // the framework's default: loopback only
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in s.KnownProxies) options.KnownProxies.Add(IPAddress.Parse(proxy));
            foreach (var network in s.KnownNetworks) options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        });
        return services;
    }

    /// <summary>First in the pipeline, so HSTS, Secure cookies and the per-IP limits all see the client's view.</summary>
    public static IApplicationBuilder UseForwardedHeadersIfEnabled(this IApplicationBuilder app)
    {
        var settings = app.ApplicationServices.GetRequiredService<IOptions<ForwardedHeadersSettings>>().Value;
        if (settings.Problems().FirstOrDefault() is { } problem) throw new OptionsValidationException(ForwardedHeadersSettings.Section, typeof(ForwardedHeadersSettings), [problem]);
        return settings.Enabled ? app.UseForwardedHeaders() : app;
    }
}
