using System.Runtime.CompilerServices;
using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Cpu;

/// <summary>
/// The built-in CPU backend: always available. It registers itself with <see cref="BackendRegistry"/> when this assembly
/// loads (the registry names no implementation); <see cref="Register(CpuBackendOptions)"/> replaces it with other options.
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

#pragma warning disable CA2255 // The CPU backend is part of this library: it must be registered before any model loads.
    [ModuleInitializer]
    internal static void RegisterDefault() => BackendRegistry.Register(Instance);
#pragma warning restore CA2255

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
