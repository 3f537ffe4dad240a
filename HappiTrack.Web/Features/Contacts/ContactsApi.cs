using System.ComponentModel;
using Microsoft.Extensions.Options;
using System.Text.Json;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Configuration;

namespace HappiTrack.Web.Features.Contacts;

public sealed record ContactInitResponse(int ContactId, string TrackedUrl);

/// <summary>
/// The documented body of <c>POST /api/contacts/init</c>. The endpoint reads each field as raw JSON, so a field of the
/// wrong type is named in the 400 instead of failing the whole body.
/// </summary>
public sealed record ContactInitRequest(
    [property: Description("The phone number in international format, e.g. +4915112345678.")] string Phone,
    [property: Description("The contact's name (at most 100 characters).")] string? Name,
    [property: Description("True when the number's owner asked for WhatsApp messages (a direct opt-in, source 'api').")] bool? OptIn);

/// <summary><c>POST /api/contacts/init</c> (SPEC §6): a contact and its tracked link for a phone number.</summary>
internal static class ContactsApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record InitRequest(JsonElement? Phone, JsonElement? Name, JsonElement? OptIn);

    public static async Task<Results<Created<ContactInitResponse>, Ok<ContactInitResponse>, ValidationProblem>> InitAsync(
        HttpRequest request, ContactService contacts, ShopContext shop, CancellationToken ct)
    {
        InitRequest? body;
        try
        {
            body = await request.ReadFromJsonAsync<InitRequest>(Json, ct);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return Invalid("body", "Send a JSON object {\"phone\", \"name\", \"optIn\"} as application/json.");
        }
        if (body is null) return Invalid("body", "Send a JSON object {\"phone\", \"name\", \"optIn\"}.");

        var phoneText = body.Phone is { } p ? StringOrNull(p) : null;
        if (!PhoneNumber.TryNormalize(phoneText, out var phone))
            return Invalid("phone", "Not a valid phone number. " + PhoneNumber.FormatHint);

        string? name = null;
        if (body.Name is { ValueKind: not JsonValueKind.Null } n)
        {
            name = StringOrNull(n);
            if (name is null || name.Length > ContactService.MaxNameLength || ContactNames.HasHiddenCharacters(name))
                return Invalid("name", $"'name' must be text of at most {ContactService.MaxNameLength} characters.");
        }

        var optIn = false;
        if (body.OptIn is { ValueKind: not JsonValueKind.Null } o)
        {
            if (o.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return Invalid("optIn", "'optIn' must be true or false.");
            optIn = o.GetBoolean();
        }

        var result = await contacts.InitAsync(phone, name, optIn, ConsentSources.Api, ct);
        var response = new ContactInitResponse(result.Contact.Id, shop.TrackedLink(result.Contact.LinkToken));
        return result.Created
            ? TypedResults.Created($"/api/contacts/{result.Contact.Id}", response)
            : TypedResults.Ok(response);
    }

    /// <summary>Null for non-strings and for strings .NET cannot hold (lone surrogates).</summary>
    private static string? StringOrNull(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.String) return null;
        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: $"Invalid field '{field}'");
}

public static class ContactsServiceCollectionExtensions
{
    public static IServiceCollection AddContacts(this IServiceCollection services)
    {
        services.AddScoped<ContactService>();
        services.AddOptions<ConsentOptions>().BindConfiguration(ConsentOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ConsentOptions>, ConsentOptionsValidator>();
        return services;
    }

    public static IEndpointRouteBuilder MapContacts(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGroup("/api/contacts").RequireAdminApi().DisableAntiforgery()
            .MapPost("/init", ContactsApi.InitAsync)
            .WithName("InitContact")
            .WithTags("Contacts")
            .WithSummary("Create (201) or find (200) the contact of a phone number and return its tracked link")
            .DescribesBody<ContactInitRequest>(contentTypes: "application/json");
        return endpoints;
    }
}
