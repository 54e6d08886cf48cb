using System.Text.Json.Serialization;

namespace RwkvNative.Server.Json;

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
