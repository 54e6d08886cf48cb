namespace RwkvNative.Retrieval;

/// <summary>One document's embedding as a vector index keeps it.</summary>
/// <param name="Id">The document id (the same id its state has in the document-state store).</param>
/// <param name="ContentHash">Hash of the document text the embedding was computed from (<see cref="Store.ContentHash"/> as 64 hex digits, the key the document-state store uses).</param>
/// <param name="Embedding">[C] float32; an index normalises it to unit length when it stores it.</param>
public sealed record VectorRecord(string Id, string ContentHash, float[] Embedding);
