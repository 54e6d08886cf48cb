using RwkvNative.Model;

namespace RwkvNative.Backends;

/// <summary>Runs the state-based reranker on one device; thread-safe like <see cref="IEmbeddingBackend"/>.</summary>
public interface IRerankerBackend : IDisposable
{
    /// <summary>Reranker shape (its blocks; <see cref="ModelConfig.Layers"/> = number of blocks).</summary>
    ModelConfig Config { get; }

    /// <summary>Embedding-model layer read by each reranker block, in block order.</summary>
    IReadOnlyList<int> LayerIndices { get; }

    /// <summary>
    /// Scores a batch of embedding-model states. The states are only read (blocks work on copies).
    /// </summary>
    /// <param name="wkv">[L_model, B, H, 64, 64]: the embedding model's wkv7 states (upstream's state1).</param>
    /// <param name="modelLayers">L_model.</param>
    /// <param name="batch">B.</param>
    /// <param name="logits">[B] output.</param>
    void Logits(ReadOnlySpan<float> wkv, int modelLayers, int batch, Span<float> logits);

    /// <summary>
    /// Scores every sequence of an embedding-model state of the paired backend, reading its wkv part where it is (on a
    /// GPU: device to device). The state is not modified.
    /// </summary>
    void Logits(BackendState state, Span<float> logits);
}
