using System.Buffers.Text;
using System.Security.Cryptography;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Nudges;

namespace HappiTrack.Web.Tests.Infrastructure;

/// <summary>"Contacts with queued nudges", the arrangement of the dispatch, kill and scale-out tests.</summary>
public static class QueuedNudges
{
    /// <summary>
    /// <paramref name="count"/> new opted-in contacts with one queued nudge each, due at
    /// <paramref name="now"/>, added in one SaveChanges. Returns the nudge ids in order.
    /// </summary>
    /// <param name="phone">The i-th contact's phone; distinct per call so several batches can share a database.</param>
    /// <param name="dedupPrefix">Makes the de-duplication keys unique per batch.</param>
    public static async Task<List<int>> ForNewContactsAsync(
        AppDbContext db, int count, DateTime now, Func<int, string> phone, string dedupPrefix,
        string kind = NudgeKinds.Campaign, Func<int, string>? name = null)
    {
        var nudges = new List<Nudge>(count);
        for (var i = 0; i < count; i++)
        {
            var contact = new Contact
            {
                Phone = phone(i), Name = name?.Invoke(i) ?? $"Contact {i}",
                LinkToken = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)), CreatedAt = now,
            };
            contact.OptIn(ConsentSources.Api, now);
            var code = NudgeOutbox.NewCode();
            nudges.Add(new Nudge
            {
                Contact = contact, Kind = kind, Status = NudgeStatuses.Queued, DedupKey = $"{dedupPrefix}:{i}", Code = code,
                Link = $"https://shop.example/r/{code}", Message = $"Hello {i}: https://shop.example/r/{code}", CreatedAt = now, SendAfter = now,
            });
        }
        db.AddRange(nudges);
        await db.SaveChangesAsync();
        return nudges.Select(n => n.Id).ToList();
    }
}
