namespace RwkvNative.Server.Json;

/// <summary>Cohere v2 <c>/v2/rerank</c> answer.</summary>
internal sealed class CohereV2RerankResponse
{
    public required string Id { get; init; }
    public required List<CohereV2Result> Results { get; init; }
    public CohereMeta Meta { get; init; } = new();
}
