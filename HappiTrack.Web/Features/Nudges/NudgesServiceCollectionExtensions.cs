namespace HappiTrack.Web.Features.Nudges;

public static class NudgesServiceCollectionExtensions
{
    public static IServiceCollection AddNudges(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ShopContext>();
        services.AddScoped<NudgeOutbox>();
        services.AddScoped<OutboxProcessor>();
        var mode = configuration["Dispatch:Mode"] ?? DispatchModes.Log;
        switch (mode)
        {
            case DispatchModes.Log:
                services.AddSingleton<INudgeDispatcher, LogNudgeDispatcher>();
                break;
            default:
                throw new InvalidOperationException($"Dispatch:Mode '{mode}' is not supported; use '{DispatchModes.Log}'.");
        }
        return services;
    }

    public static IEndpointRouteBuilder MapNudges(this IEndpointRouteBuilder app)
    {
        app.MapNudgeApi();
        app.MapNudgeLinks();
        return app;
    }
}
