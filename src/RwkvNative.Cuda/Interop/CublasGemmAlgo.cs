namespace RwkvNative.Cuda.Interop;

/// <summary>cublasGemmAlgo_t.</summary>
internal enum CublasGemmAlgo
{
    Default = -1,
}
