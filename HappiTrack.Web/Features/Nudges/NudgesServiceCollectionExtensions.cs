using HappiTrack.Web.Infrastructure;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace HappiTrack.Web.Features.Nudges;

public static class NudgesServiceCollectionExtensions
{
    public static IServiceCollection AddNudges(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddScoped<NudgeOutbox>();
        services.AddSingleton<HoldoutKeys>();
        services.AddScoped<GlobalControl>();
        services.AddHostedService<HoldoutKeySeeder>();
        services.AddOptions<MarketingOptions>().BindConfiguration(MarketingOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MarketingOptions>, MarketingOptionsValidator>();
        services.AddScoped<OutboxProcessor>();
        services.AddScoped<WhatsAppWebhook>();
        services.AddScoped<NudgeAttribution>();
        services.AddScoped<OutboxAdmin>();
        services.AddScoped<TokensExpireJob>();
        services.AddScoped<OutboxDispatchJob>();
        services.AddRecurringJob<OutboxDispatchJob>(OutboxDispatchJob.Id, j => j.RunAsync(CancellationToken.None), jobs => jobs.OutboxCron);
        services.AddRecurringJob<TokensExpireJob>(TokensExpireJob.Id, j => j.RunScheduledAsync(CancellationToken.None), jobs => jobs.TokensExpireCron);
        services.AddOptions<AttributionOptions>().Bind(configuration.GetSection(AttributionOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AttributionOptions>, AttributionOptionsValidator>();
        services.AddOptions<WhatsAppOptions>().Bind(configuration.GetSection(WhatsAppOptions.Section));
        services.AddOptions<DispatchOptions>().Bind(configuration.GetSection(DispatchOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DispatchOptions>, DispatchOptionsValidator>();

        switch (configuration[$"{DispatchOptions.Section}:Mode"] ?? DispatchModes.Log)
        {
            case DispatchModes.Webhook:
                services.AddHttpClient<WebhookNudgeDispatcher>().AddResilienceHandler("dispatch-webhook", ConfigureResilience);
                services.AddTransient<INudgeDispatcher>(sp => sp.GetRequiredService<WebhookNudgeDispatcher>());
                break;
            case DispatchModes.WhatsAppCloud:
                services.AddHttpClient<WhatsAppCloudDispatcher>().AddResilienceHandler("dispatch-whatsapp", ConfigureResilience);
                services.AddTransient<INudgeDispatcher>(sp => sp.GetRequiredService<WhatsAppCloudDispatcher>());
                break;
            default:
                // An unknown mode is reported by the options validator at start-up.
                services.AddSingleton<INudgeDispatcher, LogNudgeDispatcher>();
                break;
        }
        return services;
    }

    /// <summary>
    /// Inside one outbox attempt: total timeout ⊃ retry (exponential, jittered, Retry-After aware) ⊃
    /// per-try timeout. No circuit breaker: the outbox's backoff already spreads load when the
    /// channel is down, and an open breaker would only burn outbox attempts faster.
    /// </summary>
    private static void ConfigureResilience(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, ResilienceHandlerContext context)
    {
        var http = context.ServiceProvider.GetRequiredService<IOptions<DispatchOptions>>().Value.Http;
        // Network waits are real time; the app's TimeProvider (faked in tests) schedules the outbox only.
        pipeline.TimeProvider = TimeProvider.System;
        pipeline.AddTimeout(http.TotalTimeout);
        if (http.RetryCount > 0)
        {
            pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = http.RetryCount,
                Delay = http.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldRetryAfterHeader = true,
                MaxDelay = http.TotalTimeout,
            });
        }
        pipeline.AddTimeout(http.AttemptTimeout);
    }

    public static IEndpointRouteBuilder MapNudges(this IEndpointRouteBuilder app)
    {
        app.MapNudgeApi();
        app.MapNudgeLinks();
        app.MapWhatsAppWebhook();
        app.MapBotReplies();
        return app;
    }
}
