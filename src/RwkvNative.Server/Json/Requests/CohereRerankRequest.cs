using System.Text.Json;

namespace RwkvNative.Server.Json.Requests;

/// <summary>Cohere v1 / Jina <c>/v1/rerank</c> body.</summary>
internal sealed class CohereRerankRequest
{
    /// <summary>The query.</summary>
    public required string Query { get; init; }

    /// <summary>Strings or <c>{"text": ...}</c> objects.</summary>
    public required JsonElement Documents { get; init; }

    /// <summary>Results returned (default all).</summary>
    public int? TopN { get; init; }

    /// <summary>Return each document with its score (default true, as Jina).</summary>
    public bool? ReturnDocuments { get; init; }

    /// <summary>Accepted and ignored.</summary>
    public string? Model { get; init; }

    /// <summary>Cut pairs longer than --max-input-tokens (default: --auto-truncate).</summary>
    public bool? Truncate { get; init; }
}
