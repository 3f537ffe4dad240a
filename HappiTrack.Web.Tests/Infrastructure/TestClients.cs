using System.Net.Http.Headers;

namespace HappiTrack.Web.Tests.Infrastructure;

public static class TestClients
{
    /// <summary>The admin API's bearer token on this client: the one helper every test class uses for <c>/api/*</c> as an admin.</summary>
    public static HttpClient WithBearer(this HttpClient client, string token)
    {
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
