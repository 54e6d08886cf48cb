namespace RwkvNative.Store;

/// <summary>One document to append to a <see cref="DocumentStateStore"/>.</summary>
/// <param name="Id">Non-empty id, at most 65,536 UTF-8 bytes. An id already stored is replaced (the new record supersedes the old).</param>
/// <param name="Content">Hash of the text the state was computed from (<see cref="ContentHash.Of"/> of the document text).</param>
/// <param name="State">The document's state (<see cref="Reranker.IndexDocuments"/>), of the store's model.</param>
/// <param name="Embedding">The document's embedding, or null to store none; all embeddings in one store have one length.</param>
public sealed record DocumentStateEntry(string Id, ContentHash Content, DocumentState State, float[]? Embedding = null);
