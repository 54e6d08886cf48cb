namespace RwkvNative.Cuda.Interop;

/// <summary>cublasComputeType_t.</summary>
internal enum CublasComputeType
{
    /// <summary>CUBLAS_COMPUTE_32F: float32 accumulation, no TF32 down-conversion of float32 inputs.</summary>
    Compute32F = 68,
}
