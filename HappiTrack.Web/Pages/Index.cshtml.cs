using Microsoft.AspNetCore.Mvc.RazorPages;

namespace HappiTrack.Web.Pages;

public class IndexModel : PageModel
{
    public void OnGet() { }
}
