namespace RwkvNative.Cuda;

/// <summary>How the backend keeps large weight matrices on the device.</summary>
public enum CudaWeightPrecision
{
    /// <summary>
    /// In the checkpoint's dtype (bf16, fp16 or fp32). GEMM inputs are rounded to that dtype before each product and
    /// accumulated in float32 (cublasGemmEx needs both inputs in one type, and tensor cores need 16-bit inputs);
    /// element-wise math and the recurrence stay float32. Half the memory of <see cref="Float32"/> for bf16/fp16
    /// checkpoints; judged by the reduced-precision tolerance (cosine ≥ 0.999, logits within 2e-2).
    /// </summary>
    AsStored,

    /// <summary>Widened to float32 at upload: every product in float32, matching the CPU backend to about 1e-4.</summary>
    Float32,
}

/// <summary>Settings of the CUDA backend.</summary>
public sealed record CudaBackendOptions
{
    /// <summary>Weight precision on the device (default: as stored).</summary>
    public CudaWeightPrecision Weights { get; init; } = CudaWeightPrecision.AsStored;

    /// <summary>
    /// Most tokens run through the layers at once. Longer inputs are processed in consecutive passes carrying the state,
    /// which gives the same result; activation memory is about 30·C·4 bytes per token of a pass.
    /// </summary>
    public int MaxTokensPerPass { get; init; } = 4096;

    /// <summary>Folder for compiled kernels; null uses RWKV_KERNEL_CACHE or the user cache folder.</summary>
    public string? KernelCacheDirectory { get; init; }

    /// <summary>Receives diagnostics (kernel compile times); null writes them to standard error.</summary>
    public Action<string>? Log { get; init; }
}
