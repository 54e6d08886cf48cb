namespace RwkvNative.Server.Json.Requests;

/// <summary>TEI's <c>/rerank</c> body, or documents of the server's store by id (<c>ids</c> instead of <c>texts</c>; needs --store).</summary>
internal sealed class TeiRerankRequest
{
    /// <summary>The query.</summary>
    public required string Query { get; init; }

    /// <summary>Documents to rerank (TEI). Not with <c>ids</c>.</summary>
    public List<string>? Texts { get; init; }

    /// <summary>Ids of documents in the server's store, scored from their cached states. Not with <c>texts</c>.</summary>
    public List<string>? Ids { get; init; }

    /// <summary>Return reranker logits instead of sigmoid scores (default false).</summary>
    public bool? RawScores { get; init; }

    /// <summary>Return each text with its score (default false).</summary>
    public bool? ReturnText { get; init; }

    /// <summary>Cut pairs longer than --max-input-tokens (default: --auto-truncate).</summary>
    public bool? Truncate { get; init; }

    /// <summary>Only <c>Right</c> (the query sits at the end of the pair).</summary>
    public string? TruncationDirection { get; init; }
}
