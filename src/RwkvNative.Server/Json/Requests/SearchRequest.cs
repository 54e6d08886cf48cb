namespace RwkvNative.Server.Json.Requests;

/// <summary><c>/search</c>: retrieve by embedding from the vector index, then rerank from the cached states.</summary>
internal sealed class SearchRequest
{
    /// <summary>The query.</summary>
    public required string Query { get; init; }

    /// <summary>Candidates taken from the vector index (default 10).</summary>
    public int? TopK { get; init; }

    /// <summary>Results returned after reranking (default all top_k).</summary>
    public int? TopN { get; init; }
}
