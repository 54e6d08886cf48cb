using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Cuda;

/// <summary>
/// Creates CUDA backends. Register it once at start-up with <see cref="Register()"/>; on a host without the NVIDIA
/// driver, NVRTC or cuBLAS, <see cref="IsAvailable"/> answers false with the reason and nothing native is loaded
/// beyond the failed attempts.
/// </summary>
public sealed class CudaBackendProvider : IBackendProvider
{
    /// <summary>A provider with default <see cref="CudaBackendOptions"/>.</summary>
    public CudaBackendProvider() : this(new CudaBackendOptions()) { }

    /// <summary>A provider whose backends use <paramref name="options"/>.</summary>
    public CudaBackendProvider(CudaBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>Options given to every backend this provider creates.</summary>
    public CudaBackendOptions Options { get; }

    /// <inheritdoc/>
    public string Kind => "cuda";

    /// <summary>Registers a default provider with <see cref="BackendRegistry"/> (as kind "cuda").</summary>
    public static void Register() => BackendRegistry.Register(new CudaBackendProvider());

    /// <summary>Registers a provider with <paramref name="options"/> with <see cref="BackendRegistry"/>.</summary>
    public static void Register(CudaBackendOptions options) => BackendRegistry.Register(new CudaBackendProvider(options));

    /// <inheritdoc/>
    public bool IsAvailable(int index, out string reason)
    {
        try
        {
            if (index < 0)
            {
                reason = $"cuda:{index} is not a device index";
                return false;
            }
            var device = CudaDevice.Query(index);
            if (device.ComputeCapability < 50)
            {
                reason = $"{device} is too old: compute capability 5.0 or newer is needed";
                return false;
            }
            reason = device.ToString();
            return true;
        }
        catch (Exception e)
        {
            // Never throws: a missing driver or library is a normal answer here.
            reason = e.Message;
            return false;
        }
    }

    /// <inheritdoc/>
    public IEmbeddingBackend CreateEmbedding(Checkpoint checkpoint, ModelConfig config, int index, Precision precision = Precision.Float32)
    {
        RequireFloat32(precision);
        return new CudaEmbeddingBackend(checkpoint, config, index, Options);
    }

    /// <inheritdoc/>
    public IRerankerBackend CreateReranker(Checkpoint checkpoint, RerankerConfig config, IEmbeddingBackend model, Precision precision = Precision.Float32)
    {
        RequireFloat32(precision);
        return model is CudaEmbeddingBackend cuda
            ? new CudaRerankerBackend(checkpoint, config, cuda, Options)
            : throw new ArgumentException($"the CUDA reranker pairs with a CUDA embedding backend, not {model?.DeviceName ?? "null"}", nameof(model));
    }

    /// <summary>The CUDA backend's arithmetic is set by <see cref="CudaBackendOptions.Weights"/>; int8 is a CPU precision.</summary>
    private static void RequireFloat32(Precision precision)
    {
        if (precision != Precision.Float32)
            throw new NotSupportedException($"{precision} precision runs on the CPU backend only: pass --device cpu, or drop --precision {precision.ToString().ToLowerInvariant()} for CUDA");
    }
}
