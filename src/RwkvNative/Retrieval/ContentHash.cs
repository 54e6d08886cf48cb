using System.Security.Cryptography;
using System.Text;

namespace RwkvNative.Retrieval;

/// <summary>The hash that ties an embedding to the text it was computed from: a changed document gets a new one.</summary>
public static class ContentHash
{
    /// <summary>Lower-case hex SHA-256 of the UTF-8 text.</summary>
    public static string Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
