using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Cpu;

/// <summary>The built-in CPU backend: always available.</summary>
public sealed class CpuBackendProvider : IBackendProvider
{
    /// <summary>The single instance.</summary>
    public static CpuBackendProvider Instance { get; } = new();

    private CpuBackendProvider() { }

    /// <inheritdoc/>
    public string Kind => "cpu";

    /// <inheritdoc/>
    public bool IsAvailable(int index, out string reason)
    {
        reason = index == 0 ? "" : "the CPU backend has only device 0";
        return index == 0;
    }

    /// <inheritdoc/>
    public IEmbeddingBackend CreateEmbedding(Checkpoint checkpoint, ModelConfig config, int index, Precision precision = Precision.Float32) =>
        new CpuEmbeddingBackend(checkpoint, config, precision);

    /// <inheritdoc/>
    public IRerankerBackend CreateReranker(Checkpoint checkpoint, RerankerConfig config, int index, Precision precision = Precision.Float32) =>
        new CpuRerankerBackend(checkpoint, config, precision);
}
