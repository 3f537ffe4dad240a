namespace HappiTrack.Web.Infrastructure;

public static class WebPipelineExtensions
{
    public static IServiceCollection AddWebUi(this IServiceCollection services)
    {
        services.AddRazorPages(options => options.Conventions.ConfigureFilter(new UnmatchedHandlerFilter()));
        services.AddProblemDetails();
        // The framework's default leaves the TempData cookie (and its deletion) without Secure under HTTPS.
        services.Configure<Microsoft.AspNetCore.Mvc.CookieTempDataProviderOptions>(options =>
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);
        services.AddSingleton(TimeProvider.System);
        // Naming the server software only helps someone match it against a list of known flaws.
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(options => options.AddServerHeader = false);
        services.AddForwardedHeadersSupport();
        services.AddHsts(options =>
        {
            options.MaxAge = TimeSpan.FromDays(365);
            options.IncludeSubDomains = true;
        });
        return services;
    }

    public static WebApplication UseWebUi(this WebApplication app)
    {
        app.UseForwardedHeadersIfEnabled();
        app.UseSecurityHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error");
            app.UseHsts();
        }
        app.UseStatusCodePagesWithReExecute("/Error", "?code={0}");
        app.UseStaticFiles();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }
}
