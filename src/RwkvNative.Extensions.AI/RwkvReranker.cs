// A reranking interface (Microsoft.Extensions.AI has none) and its implementation over the state-based reranker.
namespace RwkvNative.Extensions.AI;

/// <summary>One document of a ranking: its position in the caller's list and its relevance.</summary>
/// <param name="Index">Position of the document in the list passed to <see cref="IReranker.RankAsync"/>.</param>
/// <param name="Score">Relevance in (0, 1) (the sigmoid of <paramref name="Logit"/>); higher is more relevant.</param>
/// <param name="Logit">The reranker's raw output.</param>
public readonly record struct RankedDocument(int Index, float Score, float Logit);

/// <summary>Orders documents by relevance to a query.</summary>
public interface IReranker
{
    /// <summary>
    /// Scores every document against <paramref name="query"/> and returns them best first (ties: lower index first),
    /// at most <paramref name="topN"/> (null: all).
    /// </summary>
    Task<IReadOnlyList<RankedDocument>> RankAsync(string query, IReadOnlyList<string> documents, int? topN = null, CancellationToken cancellationToken = default);
}

/// <summary>
/// <see cref="IReranker"/> over a <see cref="Reranker"/> (online mode: each pair in the upstream template, exactly as
/// <see cref="Reranker.Score(string, IReadOnlyList{string}, CancellationToken)"/>).
/// </summary>
public sealed class RwkvReranker : IReranker, IDisposable
{
    private readonly Reranker _reranker;
    private readonly bool _owns;

    /// <summary>Wraps <paramref name="reranker"/>; with <paramref name="ownsReranker"/> disposing this disposes it (not its model).</summary>
    public RwkvReranker(Reranker reranker, bool ownsReranker = false)
    {
        ArgumentNullException.ThrowIfNull(reranker);
        _reranker = reranker;
        _owns = ownsReranker;
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

    /// <summary>Disposes the reranker when this instance owns it.</summary>
    public void Dispose()
    {
        if (_owns) _reranker.Dispose();
    }
}
