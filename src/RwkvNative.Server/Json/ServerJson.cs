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

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Param { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Code { get; init; }

    /// <summary>OpenAI's types and codes: <c>invalid_request_error</c> for the request's faults, <c>invalid_api_key</c> for 401.</summary>
    public static OpenAIError Of(ApiException e, int status) => new()
    {
        Message = e.Message,
        Type = status switch { 429 => "rate_limit_error", >= 500 => "server_error", _ => "invalid_request_error" },
        Param = e.Field,
        Code = e.Kind switch
        {
            ErrorKind.Unauthorized => "invalid_api_key",
            ErrorKind.Overloaded => "rate_limit_exceeded",
            ErrorKind.Unhealthy => "service_unavailable",
            ErrorKind.Backend => "server_error",
            ErrorKind.Empty => "empty_input",
            _ => status switch { 413 => "request_too_large", 408 => "request_timeout", _ => "invalid_value" },
        },
    };
}

/// <summary>Cohere's error body: <c>{"message"}</c>.</summary>
internal sealed class CohereErrorResponse
{
    public required string Message { get; init; }
}

/// <summary>One token of TEI's <c>/tokenize</c> answer.</summary>
internal sealed class TeiToken
{
    public required int Id { get; init; }
    public required string Text { get; init; }
    public required bool Special { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public int? Start { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public int? Stop { get; init; }
}

/// <summary>OpenAI's <c>/v1/models</c> answer.</summary>
internal sealed class OpenAIModelList
{
    public string Object { get; init; } = "list";
    public required List<OpenAIModel> Data { get; init; }
}

internal sealed class OpenAIModel
{
    public required string Id { get; init; }
    public string Object { get; init; } = "model";
    public required long Created { get; init; }
    public string OwnedBy { get; init; } = "rwkvnative";
}

/// <summary>Cohere v2 <c>/v2/rerank</c> answer.</summary>
internal sealed class CohereV2RerankResponse
{
    public required string Id { get; init; }
    public required List<CohereV2Result> Results { get; init; }
    public CohereMeta Meta { get; init; } = new();
}

internal sealed class CohereV2Result
{
    public required int Index { get; init; }
    public required float RelevanceScore { get; init; }
}

internal sealed class CohereMeta
{
    public CohereApiVersion ApiVersion { get; init; } = new();
    public CohereBilledUnits BilledUnits { get; init; } = new();
}

internal sealed class CohereApiVersion
{
    public string Version { get; init; } = "2";
}

internal sealed class CohereBilledUnits
{
    public int SearchUnits { get; init; } = 1;
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

/// <summary><c>/info</c>: TEI's keys (router/src/lib.rs <c>Info</c>) plus the reranker and the model's shape.</summary>
internal sealed class InfoResponse
{
    public required string ModelId { get; init; }
    public required string ModelSha { get; init; }
    public required string ModelDtype { get; init; }
    public required string ServedModelName { get; init; }
    public required InfoModelType ModelType { get; init; }
    public InfoReranker? Reranker { get; init; }
    public required int MaxConcurrentRequests { get; init; }
    public required int MaxInputLength { get; init; }
    public required int MaxBatchTokens { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public int? MaxBatchRequests { get; init; }

    public required int MaxClientBatchSize { get; init; }
    public required bool AutoTruncate { get; init; }
    public required int TokenizationWorkers { get; init; }
    public required string Version { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Sha { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? DockerLabel { get; init; }

    public required string Device { get; init; }
    public required int Layers { get; init; }
    public required int Channels { get; init; }
    public required int Heads { get; init; }
    public required int Dimensions { get; init; }
}

/// <summary>TEI's <c>model_type</c>: exactly one key.</summary>
internal sealed class InfoModelType
{
    public required InfoEmbedding Embedding { get; init; }
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
[JsonSerializable(typeof(CohereErrorResponse))]
[JsonSerializable(typeof(float[][]))]
[JsonSerializable(typeof(List<TeiRank>))]
[JsonSerializable(typeof(OpenAIEmbeddingList<float[]>))]
[JsonSerializable(typeof(OpenAIEmbeddingList<string>))]
[JsonSerializable(typeof(RerankResponse))]
[JsonSerializable(typeof(InfoResponse))]
[JsonSerializable(typeof(List<List<TeiToken>>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(OpenAIModelList))]
[JsonSerializable(typeof(CohereV2RerankResponse))]
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
