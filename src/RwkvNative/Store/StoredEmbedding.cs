namespace RwkvNative.Store;

/// <summary>A document's stored embedding, checksum verified, with the hash of the text it was computed from.</summary>
/// <param name="Id">The document id.</param>
/// <param name="Index">Its position in the store.</param>
/// <param name="Content">Hash of the text the embedding (and the stored state) were computed from.</param>
/// <param name="Embedding">The embedding as it was appended ([D] float32; <c>rwkv-emb index</c> stores the retrieval head's output, not normalised).</param>
public sealed record StoredEmbedding(string Id, int Index, ContentHash Content, float[] Embedding);
