using HappiTrack.Web.Features.Admin;
using HappiTrack.Web.Features.Shared;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace HappiTrack.Web.Infrastructure;

/// <summary>
/// The OpenAPI document of every <c>/api</c> endpoint (<see cref="DocumentPath"/>, anonymous in every environment:
/// it describes the API, it holds no secret) and the rendered reference for admins (<see cref="ReferencePath"/>).
/// What each endpoint answers comes from its own metadata (typed results, <c>ProducesProblem</c>, <c>WithSummary</c>);
/// what every admin endpoint shares — credentials, 401/403, the antiforgery 400 — from <see cref="AdminApiEndpoints.RequireAdminApi{TBuilder}"/>
/// and <see cref="AdminApiOperations"/>, so a new endpoint cannot forget it.
/// </summary>
public static class OpenApiSetup
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/openapi/v1.json";
    public const string ReferencePath = "/admin/api-reference";

    public const string BearerScheme = "bearer";
    public const string SessionScheme = "session";
    public const string AntiforgeryScheme = "antiforgery";

    public static IServiceCollection AddApiDocument(this IServiceCollection services)
    {
        services.AddOpenApi(DocumentName, options =>
        {
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            // Pages, redirects and the CSV downloads are not an API; /api is, all of it.
            options.ShouldInclude = d => d.RelativePath?.StartsWith("api/", StringComparison.OrdinalIgnoreCase) == true;
            options.CreateSchemaReferenceId = type => type.Type == typeof(HttpValidationProblemDetails)
                ? "ValidationProblemDetails"
                : OpenApiOptions.CreateDefaultSchemaReferenceId(type);
            options.AddDocumentTransformer<ApiDocumentDescription>();
            options.AddOperationTransformer<AdminApiOperations>();
        });
        return services;
    }

    public static WebApplication MapApiDocument(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        // Everything under /admin is for admins, the page's assets too: Scalar marks its script and icon endpoints
        // AllowAnonymous (which would beat the group's policy), so that marker is taken off again.
        var reference = app.MapGroup(ReferencePath).RequireAuthorization(AuthPolicies.AdminPages);
        ((IEndpointConventionBuilder)reference).Finally(endpoint =>
        {
            foreach (var allow in endpoint.Metadata.OfType<IAllowAnonymous>().ToList()) endpoint.Metadata.Remove(allow);
        });
        reference.MapScalarApiReference("", options => options
                .WithTitle("HappiTrack API reference")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .AddDocument(DocumentName)
                // Everything from this app, nothing from Scalar's servers: the bundled script (the default),
                // system fonts instead of its font CDN, and no telemetry, AI agent or MCP calls home.
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .DisableMcp()
                .AddPreferredSecuritySchemes(SessionScheme)
                // A fresh nonce per response, picked up by SecurityHeaders for this path's script-src.
                .WithNonce());
        return app;
    }

    /// <summary>The CSP nonce Scalar put on this response's script tags, if it rendered the reference page.</summary>
    public static string? ScalarNonce(HttpContext http) =>
        http.Items.TryGetValue(ScalarOptions.NonceHttpContextItemKey, out var nonce) ? nonce as string : null;

    internal const string Description = """
        The JSON API of HappiTrack: the storefront tracker, the WhatsApp and bot callbacks, and the admin API
        (contacts, campaigns, nudges, privacy, audit, API tokens).

        ## Authentication
        - **Admin API** (`/api/contacts`, `/api/campaign`, `/api/nudges`, `/api/audit`, `/api/admin`): either a bearer token,
          `Authorization: Bearer htk_…` (created by an admin at `/admin/api-tokens`, shown once, revocable; it acts with its
          creator's authority and stops when the creator is disabled or loses the Admin role), or an administrator's browser
          session (cookie `ht_session` from `/admin/login`). A request with the session cookie and an unsafe method (POST, PUT,
          PATCH, DELETE) must also send the antiforgery token of the page in the `RequestVerificationToken` header; without
          it the answer is 400. Bearer calls need no antiforgery token. No credential: 401; a signed-in user without the
          Admin role: 403. API tokens themselves can only be managed with a session, never with a bearer token.
        - **Public endpoints**: `POST /api/track` (the storefront's own tracker, first-party cookie `ht_vid`),
          `/api/whatsapp/webhook` (Meta, signed with `X-Hub-Signature-256`) and `POST /api/whatsapp/confirm`
          (the shop's bot, signed as below).

        ## Errors
        Every 4xx and 5xx answer of an API endpoint is `application/problem+json` (RFC 9457): `title`, `status`, `detail`.
        Invalid input is a 400 `ValidationProblemDetails` whose `errors` maps each bad field (e.g. `segment.minScore`,
        `events[3].slug`) to its messages.

        ## Signed requests
        Server-to-server calls that cannot carry an admin token are signed with a shared secret:

            X-HappiTrack-Signature: sha256=<lowercase hex of HMAC-SHA256(secret, raw request body)>

        The HMAC is computed over the exact bytes sent (not a re-serialised JSON), and compared in constant time.
        It is used by the nudges HappiTrack posts to a bot (`Dispatch:Mode=Webhook`, with `Idempotency-Key` = the nudge id),
        by the bot's `POST /api/whatsapp/confirm` (secret `Dispatch:Webhook:Secret`) and by the commerce events API below.

        ### Commerce events API (`POST /api/sites/{key}/events`)
        A shop's own server reports what the browser cannot be trusted with (products, carts, orders). Each request carries:
        - `X-HappiTrack-Signature: sha256=<hex>`: HMAC-SHA256 of the raw body with the site's signing secret (shown once when the
          site is registered in the admin; revocable).
        - `Idempotency-Key`: a key chosen by the shop, unique per event (e.g. `order-1042-placed`), so a retried request
          is not stored twice.

        A missing or wrong signature, a replayed idempotency key, an unknown site key or an oversized body is refused with a
        4xx `application/problem+json` and nothing is stored. The endpoint's own schema appears here once it is deployed.

        Signing a body saved in `event.json` with a shell (sign and send the same bytes):

            sig=$(openssl dgst -sha256 -hmac "$SITE_SECRET" -hex < event.json | sed 's/^.* //')
            curl -X POST "https://<brain>/api/sites/<key>/events" -H 'Content-Type: application/json' \
              -H "X-HappiTrack-Signature: sha256=$sig" -H 'Idempotency-Key: order-1042-placed' --data-binary @event.json
        """;
}

/// <summary>Title, description, security schemes and servers of the document.</summary>
internal sealed class ApiDocumentDescription(ShopContext shop) : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo { Title = "HappiTrack API", Version = OpenApiSetup.DocumentName, Description = OpenApiSetup.Description };
        // The configured public URL, never the request's Host header (a forged Host must not end up in a served document).
        document.Servers = [new OpenApiServer { Url = shop.BaseUrl }];
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[OpenApiSetup.BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An admin API token (`htk_…`) created at /admin/api-tokens, or the configured `Admin:ApiToken`.",
        };
        document.Components.SecuritySchemes[OpenApiSetup.SessionScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Cookie,
            Name = IdentitySetup.SessionCookieName,
            Description = "An administrator's browser session from /admin/login.",
        };
        document.Components.SecuritySchemes[OpenApiSetup.AntiforgeryScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = AdminApiEndpoints.AntiforgeryHeader,
            Description = "The page's antiforgery request token; needed with the session cookie on POST, PUT, PATCH and DELETE.",
        };
        return Task.CompletedTask;
    }
}

/// <summary>
/// Every operation behind <see cref="AuthPolicies.AdminApi"/> gets its credentials: bearer or session (with the antiforgery
/// header on unsafe methods), or the session alone for <see cref="AdminApiEndpoints.SessionOnly"/> endpoints.
/// </summary>
internal sealed class AdminApiOperations : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (!metadata.OfType<IAuthorizeData>().Any(a => a.Policy == AuthPolicies.AdminApi)) return Task.CompletedTask;

        var document = context.Document!;
        var isUnsafe = AdminApiEndpoints.IsUnsafe(context.Description.HttpMethod);
        var session = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(OpenApiSetup.SessionScheme, document)] = [] };
        if (isUnsafe) session[new OpenApiSecuritySchemeReference(OpenApiSetup.AntiforgeryScheme, document)] = [];
        var bearer = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(OpenApiSetup.BearerScheme, document)] = [] };
        operation.Security = metadata.OfType<AdminApiEndpoints.SessionOnlyMetadata>().Any() ? [session] : [bearer, session];

        if (isUnsafe && operation.Responses?.TryGetValue("400", out var badRequest) == true && badRequest is OpenApiResponse response)
            response.Description = $"{response.Description}; also a session caller without the `RequestVerificationToken` header";
        return Task.CompletedTask;
    }
}

/// <summary>
/// Documents a request body the handler reads itself. <c>Accepts&lt;T&gt;()</c> would also make routing refuse other
/// content types with an empty 415, which the status-code pages then turn into the site's HTML error page; the
/// handlers answer a wrong content type with their own problem+json instead.
/// </summary>
public static class RequestBodyDocumentation
{
    public static RouteHandlerBuilder DescribesBody<T>(this RouteHandlerBuilder builder, bool isOptional = false, params string[] contentTypes) =>
        builder.AddOpenApiOperationTransformer(async (operation, context, ct) =>
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(T), null, ct);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = !isOptional,
                Content = contentTypes.ToDictionary(type => type, _ => new OpenApiMediaType { Schema = schema }),
            };
        });
}
