using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Cpu;

/// <summary>
/// The built-in CPU backend: always available. <see cref="EmbeddingModel"/> registers <see cref="Instance"/> with
/// <see cref="BackendRegistry"/> the first time a model is used, unless a "cpu" provider is registered already (the
/// registry names no implementation); <see cref="Register(CpuBackendOptions)"/> replaces it with other options.
/// </summary>
public sealed class CpuBackendProvider : IBackendProvider
{
    /// <summary>A provider with default <see cref="CpuBackendOptions"/> (one thread per core).</summary>
    public static CpuBackendProvider Instance { get; } = new(new CpuBackendOptions());

    /// <summary>A provider whose backends use <paramref name="options"/>.</summary>
    public CpuBackendProvider(CpuBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>Options given to every backend this provider creates.</summary>
    public CpuBackendOptions Options { get; }

    /// <summary>Registers a provider with <paramref name="options"/> with <see cref="BackendRegistry"/> (as kind "cpu").</summary>
    public static void Register(CpuBackendOptions options) => BackendRegistry.Register(new CpuBackendProvider(options));

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
        new CpuEmbeddingBackend(checkpoint, config, Options.Threads, precision);

    /// <inheritdoc/>
    public IRerankerBackend CreateReranker(Checkpoint checkpoint, RerankerConfig config, IEmbeddingBackend model, Precision precision = Precision.Float32)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is not CpuEmbeddingBackend)
            throw new ArgumentException($"the CPU reranker pairs with a CPU embedding backend, not {model.DeviceName}", nameof(model));
        return new CpuRerankerBackend(checkpoint, config, Options.Threads, precision);
    }
}
