namespace RwkvNative.Store;

/// <summary>A stored state was computed from other text than the caller expected: the document changed since it was indexed.</summary>
public sealed class StaleDocumentStateException(string documentId, ContentHash stored, ContentHash expected, string message) : Exception(message)
{
    /// <summary>Id of the document.</summary>
    public string DocumentId { get; } = documentId;

    /// <summary>Hash of the text the stored state was computed from.</summary>
    public ContentHash Stored { get; } = stored;

    /// <summary>Hash the caller expected.</summary>
    public ContentHash Expected { get; } = expected;
}
