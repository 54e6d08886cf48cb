using RwkvNative.Cuda;

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// Every tolerance the CUDA tests compare with, and why it is that size. Comparisons are relative to each tensor's
/// largest magnitude (at least 1). The CPU emulator's GEMM sums in double precision in one fixed order and replays
/// graphs with the very kernels it ran eagerly, so where a real GPU may legitimately differ (cuBLAS choosing another
/// algorithm for another shape or inside a capture), the emulator keeps the strict figure and a GPU gets the looser one.
/// </summary>
internal static class CudaTolerance
{
    private static readonly Lazy<bool> OnEmulator = new(() =>
        CudaDevice.Query(0).Name.Contains("emulation", StringComparison.OrdinalIgnoreCase));

    private static double Pick(double emulator, double gpu) => OnEmulator.Value ? emulator : gpu;

    /// <summary>
    /// CUDA against the CPU backend with float32 weights: the same arithmetic, with every reduction (GEMMs over C or 4C,
    /// LayerNorm, GroupNorm, the 64-long wkv rows) summed in another order, through all layers.
    /// </summary>
    public const double VersusCpu = 1e-4;

    /// <summary>
    /// One backend against itself with the GEMMs split into other shapes (smaller passes, another batch): cuBLAS picks its
    /// algorithm (tiles, split-K) per shape, so each dot product is summed in another order; bit-identical only on the emulator.
    /// </summary>
    public static double OtherGemmShapes => Pick(1e-5, 1e-4);

    /// <summary>
    /// A captured CUDA graph against the same pass run eagerly: the same kernels and shapes, but cuBLAS may choose another
    /// kernel while capturing (its heuristics see the fixed capture workspace), so not bit-identical on a GPU.
    /// </summary>
    public static double GraphVersusEager => Pick(1e-6, 1e-5);

    /// <summary>
    /// The fused LayerNorm + token-shift kernel against the two separate kernels: the same formulas, but NVRTC contracts
    /// the lerp into an FMA differently in the two kernels (one ulp per element), which the layers then carry.
    /// </summary>
    public static double FusedVersusSeparate => Pick(1e-6, 1e-5);

    /// <summary>
    /// Reranker logits with GEMM inputs rounded to the checkpoint's bf16/fp16 (AsStored) against float32 on the CPU: the
    /// fixtures' reduced-precision rule (src/RwkvNative/Data/README.md).
    /// </summary>
    public const double ReducedPrecisionLogits = 2e-2;

    /// <summary>Least cosine between embeddings with bf16/fp16 GEMM inputs and the float32 CPU ones (the same rule).</summary>
    public const double ReducedPrecisionCosine = 0.999;

    /// <summary>
    /// Producers writing the 16-bit GEMM input against float32 producers followed by the conversion kernel: the same
    /// float32 value rounded by the same FromFloat; on a GPU NVRTC may contract the producers' arithmetic into FMAs
    /// differently in the two kernels (one ulp before rounding, which can move a bf16 rounding by one step).
    /// </summary>
    public static double HalfGemmInputsVersusConversion => Pick(0, 1e-2);

    /// <summary>Token-parallel EOS pooling: each channel summed as per-chunk sums, a different float32 order.</summary>
    public const double ChunkedPoolingSum = 1e-5;

    /// <summary>The split-row wkv7 kernel: each 64-long state row summed as 4 partial sums, a different float32 order everywhere.</summary>
    public const double SplitRowWkv7 = 1e-5;
}
