namespace RwkvNative.Retrieval;

/// <summary>The hash that ties an embedding to the text it was computed from: a changed document gets a new one.</summary>
public static class ContentHash
{
    /// <summary>Lower-case hex SHA-256 of the UTF-8 text: <see cref="Store.ContentHash.Of"/> as the store writes it.</summary>
    public static string Of(string text) => Store.ContentHash.Of(text).ToString();
}
