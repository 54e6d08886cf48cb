using System.Runtime.InteropServices;

namespace RwkvNative.Cuda.Interop;

/// <summary>
/// cuBLAS entry points (cublas_api.h), with the C signature above each. Load with
/// <see cref="NativeLibraryLoader.Cublas"/> first.
/// </summary>
internal static unsafe partial class Cublas
{
    private const string Lib = NativeLibraryLoader.CublasName;

    // cublasStatus_t cublasCreate_v2(cublasHandle_t* handle);
    [LibraryImport(Lib, EntryPoint = "cublasCreate_v2")]
    public static partial CublasStatus Create(out nint handle);

    // cublasStatus_t cublasDestroy_v2(cublasHandle_t handle);
    [LibraryImport(Lib, EntryPoint = "cublasDestroy_v2")]
    public static partial CublasStatus Destroy(nint handle);

    // cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, int* version);
    [LibraryImport(Lib, EntryPoint = "cublasGetVersion_v2")]
    public static partial CublasStatus GetVersion(nint handle, out int version);

    // cublasStatus_t cublasGetProperty(libraryPropertyType type, int* value);  type: 0 major, 1 minor, 2 patch level
    [LibraryImport(Lib, EntryPoint = "cublasGetProperty")]
    public static partial CublasStatus GetProperty(int type, out int value);

    // cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId);
    [LibraryImport(Lib, EntryPoint = "cublasSetStream_v2")]
    public static partial CublasStatus SetStream(nint handle, nint stream);

    // cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void* workspace, size_t workspaceSizeInBytes);
    [LibraryImport(Lib, EntryPoint = "cublasSetWorkspace_v2")]
    public static partial CublasStatus SetWorkspace(nint handle, ulong workspace, nuint bytes);

    // cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
    //     int m, int n, int k, const void* alpha, const void* A, cudaDataType_t Atype, int lda,
    //     const void* B, cudaDataType_t Btype, int ldb, const void* beta, void* C, cudaDataType_t Ctype, int ldc,
    //     cublasComputeType_t computeType, cublasGemmAlgo_t algo);
    [LibraryImport(Lib, EntryPoint = "cublasGemmEx")]
    public static partial CublasStatus GemmEx(nint handle, CublasOperation transA, CublasOperation transB,
        int m, int n, int k, float* alpha, ulong a, CudaDataType aType, int lda,
        ulong b, CudaDataType bType, int ldb, float* beta, ulong c, CudaDataType cType, int ldc,
        CublasComputeType computeType, CublasGemmAlgo algo);
}
