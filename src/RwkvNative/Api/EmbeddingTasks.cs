using RwkvNative.Backends;

namespace RwkvNative;

/// <summary>Names of the embedding tasks as the CLI and upstream write them.</summary>
public static class EmbeddingTasks
{
    /// <summary>Parses <c>retr|cls|sts</c> or upstream's <c>[RETR]|[CLS]|[STS]</c> (case-insensitive).</summary>
    public static EmbeddingTask Parse(string name) => (name ?? "").Trim().ToLowerInvariant() switch
    {
        "retr" or "[retr]" or "retrieval" => EmbeddingTask.Retrieval,
        "cls" or "[cls]" or "classification" => EmbeddingTask.Classification,
        "sts" or "[sts]" or "similarity" => EmbeddingTask.Similarity,
        _ => throw new ArgumentException($"unknown task '{name}': use retr, cls or sts", nameof(name)),
    };

    /// <summary>Upstream's prefix for a task: <c>[RETR]</c>, <c>[CLS]</c> or <c>[STS]</c>.</summary>
    public static string UpstreamName(EmbeddingTask task) => task switch
    {
        EmbeddingTask.Retrieval => "[RETR]",
        EmbeddingTask.Classification => "[CLS]",
        EmbeddingTask.Similarity => "[STS]",
        _ => throw new ArgumentOutOfRangeException(nameof(task)),
    };
}
