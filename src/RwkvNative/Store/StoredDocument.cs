namespace RwkvNative.Store;

/// <summary>A document as the store knows it, without reading its state.</summary>
/// <param name="Id">The document id.</param>
/// <param name="Index">Its position in the store (order of first indexing; a re-indexed document keeps its position).</param>
/// <param name="Content">Hash of the text its state and embedding were computed from.</param>
/// <param name="EmbeddingDimensions">Floats of its stored embedding (0: none stored).</param>
public sealed record StoredDocument(string Id, int Index, ContentHash Content, int EmbeddingDimensions);
