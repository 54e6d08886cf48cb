namespace RwkvNative.Retrieval;

/// <summary>
/// Embeddings of documents by id, searched by cosine similarity. Implementations: <see cref="ExactVectorIndex"/> (in
/// process, every vector compared: the default for small collections) and a database-backed one (RwkvNative.PostgreSql).
/// Every implementation orders equal similarities by id in code-point order (<see cref="VectorChecks.CompareIds"/>), so
/// two indexes holding the same vectors give the same answer.
/// </summary>
public interface IVectorIndex : IDisposable
{
    /// <summary>Identity (<see cref="EmbeddingModel.Identity"/>) of the model whose embeddings the index holds.</summary>
    string ModelIdentity { get; }

    /// <summary>Length of every vector (the model's width C).</summary>
    int Dimensions { get; }

    /// <summary>Number of documents held.</summary>
    Task<long> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>Adds the records, replacing any with the same id (a re-indexed document); all or none are stored.</summary>
    /// <exception cref="ArgumentException">A record is null, has an empty id, a vector of another length or a non-finite value, or two share an id.</exception>
    Task UpsertAsync(IReadOnlyList<VectorRecord> records, CancellationToken cancellationToken = default);

    /// <summary>The content hash stored with each of <paramref name="ids"/>, in order; null for an id not held.</summary>
    Task<string?[]> GetContentHashesAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken = default);

    /// <summary>The <paramref name="k"/> documents most similar to <paramref name="query"/> ([C]; need not be unit length), best first.</summary>
    Task<IReadOnlyList<VectorMatch>> SearchAsync(ReadOnlyMemory<float> query, int k, CancellationToken cancellationToken = default);
}
