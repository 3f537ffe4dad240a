using System.Buffers;

namespace HappiTrack.Web.Features.Tracking;

/// <summary>
/// Recognises crawlers, link-preview fetchers, headless browsers and HTTP libraries by user agent.
/// Their requests are never counted and never link a visitor to a contact (a chat app fetching a
/// preview of a tracked link is not the contact).
/// </summary>
public static class BotDetector
{
    private static readonly SearchValues<string> Markers = SearchValues.Create(
    [
        "bot", "crawl", "spider", "slurp", "archiver", "headless", "phantomjs", "selenium", "puppeteer",
        "lighthouse", "pagespeed", "pingdom", "uptime", "monitor", "preview", "facebookexternalhit",
        "whatsapp", "telegram", "slack-imgproxy", "skypeuripreview", "embedly", "curl/", "wget/", "python-", "python/", "go-http-client",
        "java/", "okhttp", "apache-httpclient", "libwww", "scrapy", "node-fetch", "axios/", "httpie",
        "postman", "insomnia", "feedfetcher", "mediapartners",
    ], StringComparison.OrdinalIgnoreCase);

    /// <summary>Missing or blank user agents count as bots: every real browser sends one.</summary>
    public static bool IsBot(string? userAgent) =>
        string.IsNullOrWhiteSpace(userAgent) || userAgent.AsSpan().ContainsAny(Markers);

    /// <summary>
    /// A real browser engine whose only bot marker is "HeadlessChrome" (Chromium under automation),
    /// as opposed to a crawler, a preview fetcher or an HTTP library.
    /// </summary>
    public static bool IsOnlyHeadless(string? userAgent) =>
        userAgent is not null && userAgent.Contains("HeadlessChrome/", StringComparison.Ordinal)
        && !IsBot(userAgent.Replace("HeadlessChrome/", "Chrome/", StringComparison.Ordinal));
}

/// <summary>
/// The browser's own privacy signals: Do-Not-Track, Global Privacy Control, and the shopper's opt-out
/// cookie set on the privacy page (<see cref="TrackingOptOut"/>).
/// </summary>
public static class PrivacySignals
{
    public static bool RequestsNoTracking(HttpRequest request) =>
        request.Headers["DNT"] == "1" || request.Headers["Sec-GPC"] == "1" || TrackingOptOut.IsOptedOut(request);
}
