using System.Text.Json;

namespace RwkvNative.Server.Json.Requests;

/// <summary>Cohere v2 <c>/v2/rerank</c> body.</summary>
internal sealed class CohereV2RerankRequest
{
    /// <summary>Accepted and ignored.</summary>
    public string? Model { get; init; }

    /// <summary>The query.</summary>
    public required string Query { get; init; }

    /// <summary>Documents to rerank.</summary>
    public required JsonElement Documents { get; init; }

    /// <summary>Results returned (default all).</summary>
    public int? TopN { get; init; }

    /// <summary>Documents are cut to this many tokens (default 4096).</summary>
    public int? MaxTokensPerDoc { get; init; }
}
