using System.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Pages;

[ResponseCache(Duration = 0, Location = ResponseCacheLocation.None, NoStore = true)]
[IgnoreAntiforgeryToken]
public class ErrorModel : PageModel
{
    public string? RequestId { get; private set; }
    public int Code { get; private set; }
    public string Heading { get; private set; } = "";
    public string Message { get; private set; } = "";

    // No bound parameters: binding would read the re-executed request's form, and a hostile form body
    // (a key like "a[b") throws in MVC's form value provider — the error page must not fail on the error.
    public void OnGet() => Describe(QueryCode());

    public void OnPost() => Describe(QueryCode());

    private int? QueryCode() => int.TryParse(Request.Query["code"], out var code) ? code : null;

    private void Describe(int? code)
    {
        RequestId = Activity.Current?.Id ?? HttpContext.TraceIdentifier;
        // Re-executed by the status-code middleware: keep the original status; reached directly: trust only known codes.
        Code = code is >= 400 and <= 599 ? code.Value : 500;
        (Heading, Message) = Code switch
        {
            404 => ("We couldn’t find that page", "The product or page you were looking for is not here. It may have moved, or the link may be mistyped."),
            400 => ("Something in that request was not right", "Please go back and try again."),
            401 or 403 => ("You don’t have access to this page", "Please sign in with an account that may see it."),
            405 => ("That action isn’t available here", "Please go back and try again."),
            429 => ("Too many requests", "Please wait a moment and try again."),
            _ => ("Sorry, something went wrong on our side", "Please try again in a moment. If it keeps happening, let us know the reference below."),
        };
    }
}
