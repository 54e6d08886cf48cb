// A reranking interface (Microsoft.Extensions.AI has none) and its implementation over the state-based reranker.
using RwkvNative.Retrieval;

namespace RwkvNative.Extensions.AI;

/// <summary>
/// <see cref="IReranker"/> over a <see cref="Reranker"/>: texts in online mode (each pair in the upstream template,
/// exactly as <see cref="Reranker.Score(string, IReadOnlyList{string}, CancellationToken)"/>), ids from the cached states
/// of a document store (exactly as <see cref="DocumentRetriever.ScoreByIds"/>).
/// </summary>
public sealed class RwkvReranker : IReranker, IDisposable
{
    private readonly Reranker _reranker;
    private readonly DocumentRetriever? _byId;
    private readonly bool _owns;

    /// <summary>Wraps <paramref name="reranker"/>; with <paramref name="ownsReranker"/> disposing this disposes it (not its model).</summary>
    public RwkvReranker(Reranker reranker, bool ownsReranker = false)
    {
        ArgumentNullException.ThrowIfNull(reranker);
        _reranker = reranker;
        _owns = ownsReranker;
    }

    /// <summary>Wraps <paramref name="reranker"/> and the cached states <see cref="RankByIdAsync"/> reads (kept owned by the caller).</summary>
    /// <exception cref="ArgumentException">The states were computed by another model.</exception>
    public RwkvReranker(Reranker reranker, IDocumentStates documents, bool ownsReranker = false) : this(reranker, ownsReranker)
    {
        _byId = new DocumentRetriever(reranker, documents ?? throw new ArgumentNullException(nameof(documents)));
    }

    /// <summary>The wrapped reranker.</summary>
    public Reranker Reranker => _reranker;

    /// <inheritdoc />
    public async Task<IReadOnlyList<RankedDocument>> RankAsync(string query, IReadOnlyList<string> documents, int? topN = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documents);
        if (topN is < 0) throw new ArgumentOutOfRangeException(nameof(topN), topN, "topN must not be negative");
        if (documents.Count == 0) return [];
        var ranked = await Task.Run(() => _reranker.Rank(query, documents, topN ?? int.MaxValue, cancellationToken), cancellationToken).ConfigureAwait(false);
        var result = new RankedDocument[ranked.Length];
        for (int i = 0; i < result.Length; i++) result[i] = new RankedDocument(ranked[i].Index, ranked[i].Score, ranked[i].Logit);
        return result;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RankedDocument>> RankByIdAsync(string query, IReadOnlyList<string> documentIds, int? topN = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documentIds);
        if (topN is < 0) throw new ArgumentOutOfRangeException(nameof(topN), topN, "topN must not be negative");
        var byId = _byId ?? throw new InvalidOperationException("this reranker has no document store: construct RwkvReranker with IDocumentStates (or set RwkvEmbeddingsOptions.StorePath)");
        if (documentIds.Count == 0) return [];
        var scores = await Task.Run(() => byId.ScoreByIds(query, documentIds, cancellationToken), cancellationToken).ConfigureAwait(false);
        Array.Sort(scores, static (a, b) => b.Logit != a.Logit ? b.Logit.CompareTo(a.Logit) : a.Index.CompareTo(b.Index));
        int n = Math.Min(topN ?? scores.Length, scores.Length);
        var result = new RankedDocument[n];
        for (int i = 0; i < n; i++) result[i] = new RankedDocument(scores[i].Index, scores[i].Score, scores[i].Logit);
        return result;
    }

    /// <summary>Disposes the reranker when this instance owns it.</summary>
    public void Dispose()
    {
        if (_owns) _reranker.Dispose();
    }
}
