using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Backends;

/// <summary>
/// Creates backends for one kind of device. The CPU provider is built in; the CUDA assembly registers its own
/// with <see cref="BackendRegistry.Register"/>, so CPU-only hosts never load native GPU code.
/// </summary>
public interface IBackendProvider
{
    /// <summary>"cpu" or "cuda".</summary>
    string Kind { get; }

    /// <summary>Whether this device can be used here; when not, <paramref name="reason"/> says why (no driver, ...).</summary>
    bool IsAvailable(int index, out string reason);

    /// <summary>
    /// Creates the embedding backend from an open checkpoint (weights are read once, in the provider's format, and
    /// quantised once when <paramref name="precision"/> asks for it; a provider that cannot run it throws
    /// <see cref="NotSupportedException"/> saying which precision it runs).
    /// </summary>
    IEmbeddingBackend CreateEmbedding(Checkpoint checkpoint, ModelConfig config, int index, Precision precision = Precision.Float32);

    /// <summary>
    /// Creates the reranker backend from an open reranker checkpoint, paired with <paramref name="model"/> (an embedding
    /// backend of this provider): it reads that backend's states where they are and shares its device session
    /// (precision as for <see cref="CreateEmbedding"/>).
    /// </summary>
    IRerankerBackend CreateReranker(Checkpoint checkpoint, RerankerConfig config, IEmbeddingBackend model, Precision precision = Precision.Float32);
}
