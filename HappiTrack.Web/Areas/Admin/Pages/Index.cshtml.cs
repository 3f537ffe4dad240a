using HappiTrack.Web.Data;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Areas.Admin.Pages;

public sealed class IndexModel(AppDbContext db, TimeProvider clock) : PageModel
{
    public DashboardCounts Counts { get; private set; } = new(0, 0, 0);

    public async Task OnGetAsync(CancellationToken ct)
    {
        var startOfDay = clock.GetUtcNow().UtcDateTime.Date;
        Counts = new DashboardCounts(
            Contacts: await db.Contacts.CountAsync(ct),
            EventsToday: await db.Events.CountAsync(e => e.OccurredAt >= startOfDay, ct),
            Orders: await db.Orders.CountAsync(ct));
    }

    public sealed record DashboardCounts(int Contacts, int EventsToday, int Orders);
}
