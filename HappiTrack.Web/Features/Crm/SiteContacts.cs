using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;

namespace HappiTrack.Web.Features.Crm;

/// <summary>
/// Which contacts a site's CRM and analytics views show (issue 20). A person is one contact per shop owner across
/// sites, so "the contacts of site B" are those with any footprint there: first seen on B (<c>Contact.SiteId</c>),
/// a browser of B linked to them (its events and its cart are B's), or an order placed on B. A person who shops on
/// both sites is in both lists; what is shown about them in B's view (events, orders, products) is B's only.
/// </summary>
public static class SiteContacts
{
    public static IQueryable<Contact> Of(AppDbContext db, IQueryable<Contact> contacts, int site) =>
        contacts.Where(c => c.SiteId == site
            || db.Visitors.Any(v => v.ContactId == c.Id && v.SiteId == site)
            || db.Orders.Any(o => o.ContactId == c.Id && o.SiteId == site));

    /// <summary>The ids of <see cref="Of"/>, to compose into another query (an SQL IN / EXISTS, never loaded).</summary>
    public static IQueryable<int> IdsOf(AppDbContext db, int site) => Of(db, db.Contacts, site).Select(c => c.Id);
}
