using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Settings;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Crm;

/// <summary>
/// Rewrites the materialised list columns of contacts whose interest, purchases or activity changed.
/// The brain's <see cref="EventProjector"/> calls it inside its batch transaction with the contacts
/// its batch touched, so the columns commit together with the scores they summarise. The scores
/// themselves come from <see cref="ContactProfileService.InterestAsync"/>, the same code as the
/// contact page, so the table and the page never disagree.
/// </summary>
public sealed class ContactSummaryRefresher(AppDbContext db, ContactProfileService profiles, RuleSettingsService settingsService, TimeProvider clock)
{
    public async Task RefreshAsync(IReadOnlyCollection<int> contactIds, CancellationToken ct = default)
    {
        if (contactIds.Count == 0) return;
        var halfLife = (await settingsService.GetAsync(ct)).Scoring.HalfLife;
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var id in contactIds)
        {
            var (summary, purchases) = await profiles.InterestAsync(id, ct);
            var lastSeen = await db.Visitors.Where(v => v.ContactId == id).MaxAsync(v => (DateTime?)v.LastSeenAt, ct);
            var score = summary.GeneralInterestScore;
            var rank = ContactRanking.Rank(score, now, halfLife);
            var topTags = summary.TopTags.Count == 0 ? null : string.Join(',', summary.TopTags);
            var desired = summary.MostDesiredProduct;
            await db.Contacts.Where(c => c.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(c => c.InterestScore, score)
                .SetProperty(c => c.InterestAsOf, now)
                .SetProperty(c => c.InterestRank, rank)
                .SetProperty(c => c.Purchases, purchases)
                .SetProperty(c => c.MostDesiredProductId, desired == null ? null : desired.Id)
                .SetProperty(c => c.MostDesiredScore, desired == null ? 0 : desired.Score)
                .SetProperty(c => c.TopTags, topTags)
                .SetProperty(c => c.LastSeenAt, c => lastSeen > c.LastSeenAt || c.LastSeenAt == null ? lastSeen : c.LastSeenAt), ct);
        }
    }
}
