using System.Net.Http.Json;
using System.Text.Json;

namespace HappiTrack.Web.Tests.Infrastructure;

public static class Campaigns
{
    /// <summary>The API's two-step send: a dry run of this message and segment, then the send carrying its preview id.</summary>
    public static async Task<HttpResponseMessage> BroadcastConfirmedAsync(this HttpClient api, string name, string message, object segment)
    {
        var preview = await api.PostAsJsonAsync("/api/campaign/broadcast", new { name, message, segment, dryRun = true });
        preview.EnsureSuccessStatusCode();
        var previewId = (await preview.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("previewId").GetString();
        return await api.PostAsJsonAsync("/api/campaign/broadcast", new { name, message, segment, previewId });
    }
}
