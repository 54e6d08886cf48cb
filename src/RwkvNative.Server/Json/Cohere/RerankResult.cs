namespace RwkvNative.Server.Json;

internal sealed class RerankResult
{
    public required int Index { get; init; }
    public required float RelevanceScore { get; init; }
    public RerankDocument? Document { get; init; }
}
