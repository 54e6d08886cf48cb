using Microsoft.Extensions.DependencyInjection;

namespace RwkvNative.Extensions.AI;

/// <summary>What <see cref="RwkvServiceCollectionExtensions.AddRwkvEmbeddings(IServiceCollection, Action{RwkvEmbeddingsOptions})"/> loads.</summary>
public sealed class RwkvEmbeddingsOptions
{
    /// <summary>Embedding checkpoint (.pth or .safetensors). Required.</summary>
    public string? ModelPath { get; set; }

    /// <summary>Reranker checkpoint; when set, <see cref="IReranker"/> and <see cref="Reranker"/> are registered too.</summary>
    public string? RerankerPath { get; set; }

    /// <summary>
    /// Document-state store (made by <c>rwkv-emb index</c>) opened read-only; with <see cref="RerankerPath"/>,
    /// <see cref="IReranker.RankByIdAsync"/> scores its documents by id.
    /// </summary>
    public string? StorePath { get; set; }

    /// <summary><c>auto</c> (default), <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; set; } = "auto";

    /// <summary>Most tokens per internal batch (<see cref="ModelOptions.MaxBatchTokens"/>).</summary>
    public int? MaxBatchTokens { get; set; }

    /// <summary>Arithmetic of the linear layers (<see cref="ModelOptions.Precision"/>; int8 is CPU-only and opt-in).</summary>
    public Precision Precision { get; set; } = Precision.Float32;

    /// <summary>Default head of the embedding generator.</summary>
    public EmbeddingTask Task { get; set; } = EmbeddingTask.Retrieval;

    /// <summary>L2-normalise embeddings (default false).</summary>
    public bool Normalize { get; set; }

    /// <summary>Model id reported by the generator's metadata.</summary>
    public string? ModelId { get; set; }

    /// <summary>Receives the model's one-line diagnostics (device choice).</summary>
    public Action<string>? Log { get; set; }
}
