// Response bodies of the server, serialized by source-generated System.Text.Json code (no reflection: NativeAOT-safe).
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RwkvNative.Server.Json;

/// <summary>text-embeddings-inference's error body.</summary>
internal sealed class ErrorResponse
{
    public required string Error { get; init; }
    public required string ErrorType { get; init; }
}

/// <summary>OpenAI's error body: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
internal sealed class OpenAIErrorResponse
{
    public required OpenAIError Error { get; init; }
}

internal sealed class OpenAIError
{
    public required string Message { get; init; }
    public required string Type { get; init; }
    public string? Param { get; init; }
    public string? Code { get; init; }
}

/// <summary>One item of TEI's <c>/rerank</c> answer.</summary>
internal sealed class TeiRank
{
    public required int Index { get; init; }
    public required float Score { get; init; }
    public string? Text { get; init; }
}

/// <summary>OpenAI's <c>/v1/embeddings</c> answer; <typeparamref name="T"/> is float[] or a base64 string.</summary>
internal sealed class OpenAIEmbeddingList<T>
{
    public string Object { get; init; } = "list";
    public required List<OpenAIEmbedding<T>> Data { get; init; }
    public required string Model { get; init; }
    public required OpenAIUsage Usage { get; init; }
}

internal sealed class OpenAIEmbedding<T>
{
    public string Object { get; init; } = "embedding";
    public required int Index { get; init; }
    public required T Embedding { get; init; }
}

internal sealed class OpenAIUsage
{
    public required long PromptTokens { get; init; }
    public required long TotalTokens { get; init; }
}

/// <summary>Cohere/Jina <c>/v1/rerank</c> answer.</summary>
internal sealed class RerankResponse
{
    public required string Model { get; init; }
    public required List<RerankResult> Results { get; init; }
    public required RerankUsage Usage { get; init; }
}

internal sealed class RerankResult
{
    public required int Index { get; init; }
    public required float RelevanceScore { get; init; }
    public RerankDocument? Document { get; init; }
}

internal sealed class RerankDocument
{
    public required string Text { get; init; }
}

internal sealed class RerankUsage
{
    public required long TotalTokens { get; init; }
}

/// <summary><c>/info</c>: TEI's fields plus the model's shape.</summary>
internal sealed class InfoResponse
{
    public required string ModelId { get; init; }
    public required string ModelSha { get; init; }
    public string? ModelDtype { get; init; }
    public required InfoModelType ModelType { get; init; }
    public required int MaxConcurrentRequests { get; init; }
    public required int MaxInputLength { get; init; }
    public required int MaxBatchTokens { get; init; }
    public int? MaxBatchRequests { get; init; }
    public required int MaxClientBatchSize { get; init; }
    public required string Version { get; init; }
    public required string Device { get; init; }
    public required int Layers { get; init; }
    public required int Channels { get; init; }
    public required int Heads { get; init; }
    public required int Dimensions { get; init; }
}

internal sealed class InfoModelType
{
    public required InfoEmbedding Embedding { get; init; }
    public InfoReranker? Reranker { get; init; }
}

internal sealed class InfoEmbedding
{
    public required string Pooling { get; init; }
    public required string[] Tasks { get; init; }
}

internal sealed class InfoReranker
{
    public required int Layers { get; init; }
    public required int[] EmbeddingLayers { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(OpenAIErrorResponse))]
[JsonSerializable(typeof(float[][]))]
[JsonSerializable(typeof(List<TeiRank>))]
[JsonSerializable(typeof(OpenAIEmbeddingList<float[]>))]
[JsonSerializable(typeof(OpenAIEmbeddingList<string>))]
[JsonSerializable(typeof(RerankResponse))]
[JsonSerializable(typeof(InfoResponse))]
internal sealed partial class ServerJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context the endpoints write with: the same naming, and relaxed escaping so that '+' (base64) and quotes in
    /// messages appear as themselves (these bodies are API answers, never inlined into HTML).
    /// </summary>
    public static ServerJsonContext Api { get; } = new(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    });
}
