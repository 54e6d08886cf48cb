namespace RwkvNative.Cuda;

/// <summary>Which native library reported an error.</summary>
public enum CudaLibrary
{
    /// <summary>The CUDA driver API (libcuda).</summary>
    Driver,
    /// <summary>The runtime compiler (libnvrtc).</summary>
    Nvrtc,
    /// <summary>cuBLAS.</summary>
    Cublas,
}
