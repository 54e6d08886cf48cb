// Response bodies of the retrieval endpoints (source-generated JSON, NativeAOT-safe).
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RwkvNative.Server.Retrieval;

/// <summary>One item of <c>/rerank</c>'s answer to a request by ids: TEI's shape plus the id.</summary>
internal sealed class StoredRank
{
    public required int Index { get; init; }
    public required string Id { get; init; }
    public required float Score { get; init; }
}

/// <summary><c>/search</c>'s answer.</summary>
internal sealed class SearchResponse
{
    public required string Model { get; init; }
    public required List<SearchResult> Results { get; init; }
}

internal sealed class SearchResult
{
    public required string Id { get; init; }
    public required float Score { get; init; }
    public required float Logit { get; init; }
    public required double Similarity { get; init; }
    public required int VectorRank { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<StoredRank>))]
[JsonSerializable(typeof(SearchResponse))]
internal sealed partial class RetrievalJsonContext : JsonSerializerContext
{
    /// <summary>The same naming and escaping as the other endpoints' answers.</summary>
    public static RetrievalJsonContext Api { get; } = new(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    });
}
