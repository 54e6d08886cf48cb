namespace RwkvNative.Server.Json;

internal sealed class OpenAIEmbedding<T>
{
    public string Object { get; init; } = "embedding";
    public required int Index { get; init; }
    public required T Embedding { get; init; }
}
