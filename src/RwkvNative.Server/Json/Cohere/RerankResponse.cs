namespace RwkvNative.Server.Json;

/// <summary>Cohere/Jina <c>/v1/rerank</c> answer.</summary>
internal sealed class RerankResponse
{
    public required string Model { get; init; }
    public required List<RerankResult> Results { get; init; }
    public required RerankUsage Usage { get; init; }
}
