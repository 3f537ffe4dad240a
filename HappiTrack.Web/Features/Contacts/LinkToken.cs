using System.Buffers.Text;
using System.Security.Cryptography;

namespace HappiTrack.Web.Features.Contacts;

/// <summary>The secret in a contact's tracked link: 128 random bits, base64url (22 characters).</summary>
public static class LinkToken
{
    private const int Bytes = 16;

    public static string New() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(Bytes));

    /// <summary>Anything that could not have been issued is refused before it reaches the database.</summary>
    public static bool IsWellFormed(string? token) =>
        token is { Length: >= 22 and <= 64 } && Base64Url.IsValid(token.AsSpan());
}
