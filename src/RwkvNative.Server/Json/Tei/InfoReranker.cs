namespace RwkvNative.Server.Json;

internal sealed class InfoReranker
{
    public required int Layers { get; init; }
    public required int[] EmbeddingLayers { get; init; }
}
