namespace RwkvNative.Cuda.Memory;

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
