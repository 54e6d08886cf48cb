namespace RwkvNative.Server.Json;

/// <summary>OpenAI's <c>/v1/embeddings</c> answer; <typeparamref name="T"/> is float[] or a base64 string.</summary>
internal sealed class OpenAIEmbeddingList<T>
{
    public string Object { get; init; } = "list";
    public required List<OpenAIEmbedding<T>> Data { get; init; }
    public required string Model { get; init; }
    public required OpenAIUsage Usage { get; init; }
}
