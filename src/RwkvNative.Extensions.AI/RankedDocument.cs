namespace RwkvNative.Extensions.AI;

/// <summary>One document of a ranking: its position in the caller's list and its relevance.</summary>
/// <param name="Index">Position of the document in the list passed to <see cref="IReranker.RankAsync"/>.</param>
/// <param name="Score">Relevance in (0, 1) (the sigmoid of <paramref name="Logit"/>); higher is more relevant.</param>
/// <param name="Logit">The reranker's raw output.</param>
public readonly record struct RankedDocument(int Index, float Score, float Logit);
