using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda.Kernels;

/// <summary>
/// Every launcher of one session, all on the same stream and loaded modules, and the cuBLAS GEMM. What the model layer
/// (<c>Model/BlockRunner</c>) and the backends enqueue work through; it knows nothing of either.
/// </summary>
internal sealed class Launchers(LaunchContext launch, CublasHandle blas, ScratchBuffer conversionScratch, StreamCounters counters)
{
    public EmbeddingLauncher Embedding { get; } = new(launch);
    public LayerNormLauncher LayerNorm { get; } = new(launch);
    public TokenShiftLauncher TokenShift { get; } = new(launch);
    public ActivationLauncher Activations { get; } = new(launch);
    public WkvPrepLauncher WkvPrep { get; } = new(launch);
    public Wkv7Launcher Wkv7 { get; } = new(launch);
    public WkvOutputLauncher WkvOutput { get; } = new(launch);
    public PoolingLauncher Pooling { get; } = new(launch);
    public RerankerScoreLauncher RerankerScore { get; } = new(launch);
    public StateStoreLauncher StateStore { get; } = new(launch);
    public TokenPoolingLauncher TokenPooling { get; } = new(launch);
    public CublasGemm Gemm { get; } = new(blas, new ConvertLauncher(launch), conversionScratch, counters);
}
