namespace RwkvNative.Cuda;

/// <summary>
/// A CUDA driver, NVRTC or cuBLAS call failed. The message names the call, the error name and description, and what
/// to do about it.
/// </summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CudaException(CudaLibrary library, string call, int status, string errorName, string message) : base(message)
    {
        Library = library;
        Call = call;
        Status = status;
        ErrorName = errorName;
    }

    /// <summary>The library that returned the status.</summary>
    public CudaLibrary Library { get; }

    /// <summary>Source text of the failing call, e.g. <c>CudaDriver.MemAlloc(out p, bytes)</c>.</summary>
    public string Call { get; }

    /// <summary>Numeric status (CUresult, nvrtcResult or cublasStatus_t).</summary>
    public int Status { get; }

    /// <summary>Symbolic status, e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</summary>
    public string ErrorName { get; }
}
