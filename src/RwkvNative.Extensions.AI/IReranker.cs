using RwkvNative.Retrieval;

namespace RwkvNative.Extensions.AI;

/// <summary>Orders documents by relevance to a query.</summary>
public interface IReranker
{
    /// <summary>
    /// Scores every document against <paramref name="query"/> and returns them best first (ties: lower index first),
    /// at most <paramref name="topN"/> (null: all).
    /// </summary>
    Task<IReadOnlyList<RankedDocument>> RankAsync(string query, IReadOnlyList<string> documents, int? topN = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Scores stored documents, named by id, against <paramref name="query"/> and returns them best first (ties: lower
    /// index first), at most <paramref name="topN"/>; <see cref="RankedDocument.Index"/> is the position in <paramref name="documentIds"/>.
    /// </summary>
    /// <exception cref="KeyNotFoundException">An id is not stored (<see cref="UnknownDocumentException"/>, naming it).</exception>
    /// <exception cref="InvalidOperationException">This reranker has no document store.</exception>
    Task<IReadOnlyList<RankedDocument>> RankByIdAsync(string query, IReadOnlyList<string> documentIds, int? topN = null, CancellationToken cancellationToken = default);
}
