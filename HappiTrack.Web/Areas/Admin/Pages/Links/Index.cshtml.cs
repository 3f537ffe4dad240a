using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Shared;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Areas.Admin.Pages.Links;

/// <summary>Phone + name + opt-in → the contact's tracked link, through the same service as <c>POST /api/contacts/init</c>.</summary>
public sealed class IndexModel(ContactService contacts, ShopContext shop) : PageModel
{
    [BindProperty] public string? Phone { get; set; }
    [BindProperty] public string? Name { get; set; }
    [BindProperty] public bool OptIn { get; set; }

    public string? TrackedUrl { get; private set; }
    public int? ContactId { get; private set; }
    public bool Created { get; private set; }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!PhoneNumber.TryNormalize(Phone, out var phone))
            ModelState.AddModelError(nameof(Phone), "That is not a valid phone number. " + PhoneNumber.FormatHint);
        var name = string.IsNullOrWhiteSpace(Name) ? null : Name.Trim();
        if (name is not null && (name.Length > ContactService.MaxNameLength || name.Any(char.IsControl)))
            ModelState.AddModelError(nameof(Name), $"Keep the name under {ContactService.MaxNameLength} characters.");
        if (!ModelState.IsValid)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var result = await contacts.InitAsync(phone, name, OptIn, ConsentSources.Admin, ct);
        ContactId = result.Contact.Id;
        Created = result.Created;
        TrackedUrl = shop.TrackedLink(result.Contact.LinkToken);
        Phone = result.Contact.Phone;
        return Page();
    }
}
