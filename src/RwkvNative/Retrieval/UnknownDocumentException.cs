namespace RwkvNative.Retrieval;

/// <summary>A document id asked for is not in the document-state store.</summary>
public sealed class UnknownDocumentException(string id, string where)
    : KeyNotFoundException($"no document with id '{id}' in {where}; index it first ('rwkv-emb index') or drop it from the request")
{
    /// <summary>The id that was not found.</summary>
    public string Id { get; } = id;
}
