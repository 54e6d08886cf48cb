// Retrieve, then rerank: embeddings find candidates in a vector index, the cached states of those candidates rerank them.
namespace RwkvNative.Retrieval;

/// <summary>
/// The retrieve-then-rerank flow over one model: <see cref="SearchAsync"/> embeds the query, takes the k nearest
/// documents from the vector index and reranks them from their cached states (each pair costs only the query's tokens);
/// <see cref="ScoreByIds"/> reranks documents named by id. The caller owns the reranker, the index and the states.
/// </summary>
public sealed class DocumentRetriever
{
    /// <summary>Checks that the reranker, the states and the index (optional: reranking by id needs none) come from one model.</summary>
    /// <exception cref="ArgumentException">One of them holds another model's data.</exception>
    public DocumentRetriever(Reranker reranker, IDocumentStates states, IVectorIndex? index = null)
    {
        ArgumentNullException.ThrowIfNull(reranker);
        ArgumentNullException.ThrowIfNull(states);
        var identity = reranker.Model.Identity;
        if (states.ModelIdentity != identity)
            throw new ArgumentException($"the document states were computed by another model ({Short(states.ModelIdentity)}) than the reranker's ({Short(identity)}); index the documents with this model", nameof(states));
        if (index != null && (index.ModelIdentity != identity || index.Dimensions != reranker.Model.Config.Channels))
            throw new ArgumentException($"the vector index holds embeddings of another model ({Short(index.ModelIdentity)}, {index.Dimensions} dimensions) than this one ({Short(identity)}, {reranker.Model.Config.Channels}); index the documents with this model", nameof(index));
        Reranker = reranker;
        States = states;
        Index = index;
    }

    /// <summary>The reranker (and through it the embedding model).</summary>
    public Reranker Reranker { get; }

    /// <summary>Cached document states by id.</summary>
    public IDocumentStates States { get; }

    /// <summary>The vector index <see cref="SearchAsync"/> retrieves from; null when only reranking by id is offered.</summary>
    public IVectorIndex? Index { get; }

    /// <summary>
    /// Scores the documents named by <paramref name="ids"/> against <paramref name="query"/> from their cached states, in
    /// input order (<see cref="RerankScore.Index"/> is the position in <paramref name="ids"/>).
    /// </summary>
    /// <exception cref="UnknownDocumentException">An id is not in the store.</exception>
    public RerankScore[] ScoreByIds(string query, IReadOnlyList<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0) return [];
        return Reranker.Score(query, States.GetStates(ids, null, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Embeds <paramref name="query"/> (retrieval head), retrieves the <paramref name="k"/> nearest documents and reranks
    /// them by their cached states; returns the best <paramref name="topN"/> (default all k), best first (ties: nearer first).
    /// </summary>
    /// <exception cref="InvalidOperationException">No vector index was given.</exception>
    /// <exception cref="UnknownDocumentException">The index names a document the store does not hold (index and store out of step).</exception>
    /// <exception cref="RwkvNative.Store.StaleDocumentStateException">A candidate's stored state was computed from other text than its embedding.</exception>
    public async Task<SearchHit[]> SearchAsync(string query, int k, int? topN = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (topN is < 0) throw new ArgumentOutOfRangeException(nameof(topN), topN, "topN must not be negative");
        if (Index == null) throw new InvalidOperationException("no vector index: construct the DocumentRetriever with one to search");
        var embedding = Reranker.Model.Embed([query], EmbeddingTask.Retrieval, cancellationToken)[0];
        var matches = await RetrieveAsync(embedding, k, cancellationToken).ConfigureAwait(false);
        return RerankMatches(query, matches, topN, cancellationToken);
    }

    /// <summary>
    /// <see cref="SearchAsync"/>, step 2: the <paramref name="k"/> documents nearest to the query's embedding
    /// (<paramref name="queryEmbedding"/>: [C], the retrieval head's output for the query's plain text), best first.
    /// A server embeds the query in its own batches, then calls this and <see cref="RerankMatches"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No vector index was given.</exception>
    public Task<IReadOnlyList<VectorMatch>> RetrieveAsync(ReadOnlyMemory<float> queryEmbedding, int k, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (Index == null) throw new InvalidOperationException("no vector index: construct the DocumentRetriever with one to search");
        return Index.SearchAsync(queryEmbedding, k, cancellationToken);
    }

    /// <summary>
    /// <see cref="SearchAsync"/>, step 3: reranks <paramref name="matches"/> (best first, from <see cref="RetrieveAsync"/>)
    /// from their cached states; the best <paramref name="topN"/> (default all), best first (ties: nearer first).
    /// </summary>
    /// <exception cref="UnknownDocumentException">A match names a document the store does not hold.</exception>
    /// <exception cref="RwkvNative.Store.StaleDocumentStateException">A match's stored state was computed from other text than its embedding.</exception>
    public SearchHit[] RerankMatches(string query, IReadOnlyList<VectorMatch> matches, int? topN = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(matches);
        if (topN is < 0) throw new ArgumentOutOfRangeException(nameof(topN), topN, "topN must not be negative");
        if (matches.Count == 0) return [];
        var ids = new string[matches.Count];
        var hashes = new string[matches.Count];
        for (int i = 0; i < ids.Length; i++) (ids[i], hashes[i]) = (matches[i].Id, matches[i].ContentHash);
        // Each state must come from the text its embedding came from: a document re-embedded but not re-stored is refused.
        var scores = Reranker.Score(query, States.GetStates(ids, hashes, cancellationToken), cancellationToken);
        var hits = new SearchHit[scores.Length];
        for (int i = 0; i < hits.Length; i++)
            hits[i] = new SearchHit(matches[i].Id, matches[i].Similarity, i, scores[i].Logit, scores[i].Score);
        Array.Sort(hits, static (a, b) => a.Logit != b.Logit ? b.Logit.CompareTo(a.Logit) : a.VectorRank.CompareTo(b.VectorRank));
        int n = Math.Min(topN ?? hits.Length, hits.Length);
        return n == hits.Length ? hits : hits[..n];
    }

    private static string Short(string id) => id.Length > 12 ? id[..12] + "…" : id;
}
