using RwkvNative.Cuda.Interop;
using RwkvNative.Cuda.Memory;
using RwkvNative.Cuda;

namespace RwkvNative.Tests.Cuda;

public sealed class CudaErrorMessageTests
{
    [Fact]
    public void Out_of_memory_names_the_call_the_size_requested_and_what_is_free()
    {
        var m = CudaCheck.DriverMessage("CudaDriver.MemAlloc(out p, (nuint)bytes)", CUresult.OutOfMemory,
            "CUDA_ERROR_OUT_OF_MEMORY", "out of memory", 3L * 1024 * 1024 * 1024, "120.0 MiB free of 81559.0 MiB");
        Assert.StartsWith("CudaDriver.MemAlloc(out p, (nuint)bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory.", m);
        Assert.Contains("allocating 3072.0 MiB", m);
        Assert.Contains("120.0 MiB free of 81559.0 MiB", m);
        Assert.Contains("MaxTokensPerPass", m);
    }

    [Fact]
    public void Unsupported_ptx_version_suggests_a_newer_driver_or_a_lower_arch()
    {
        var m = CudaCheck.DriverMessage("CudaDriver.ModuleLoadData(out module, p)", CUresult.UnsupportedPtxVersion,
            CudaCheck.DriverName(CUresult.UnsupportedPtxVersion), "", -1, null);
        Assert.Contains("CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222)", m);
        Assert.Contains("update the driver", m);
        Assert.Contains("RWKV_NVRTC", m);
        Assert.Contains("lower architecture", m);
    }

    [Fact]
    public void Unknown_statuses_still_get_a_name_and_a_next_step()
    {
        Assert.Equal("CUresult 12345", CudaCheck.DriverName((CUresult)12345));
        var m = CudaCheck.DriverMessage("call()", (CUresult)12345, "CUresult 12345", "", -1, null);
        Assert.Contains("nvidia-smi", m);
        Assert.Equal("CUBLAS_STATUS_NOT_SUPPORTED", CudaCheck.CublasName(CublasStatus.NotSupported));
        Assert.Equal("cublasStatus_t 99", CudaCheck.CublasName((CublasStatus)99));
        Assert.Equal("NVRTC_ERROR_COMPILATION", CudaCheck.NvrtcName(NvrtcResult.Compilation));
    }

    [Fact]
    public void Nvrtc_compile_errors_carry_the_compiler_log()
    {
        var m = CudaCheck.NvrtcMessage("Nvrtc.CompileProgram(program, n, options)", NvrtcResult.Compilation,
            "NVRTC_ERROR_COMPILATION", "wkv7.cu(12): error: identifier \"foo\" is undefined\n");
        Assert.Contains("NVRTC_ERROR_COMPILATION (6)", m);
        Assert.Contains("NVRTC log:", m);
        Assert.EndsWith("wkv7.cu(12): error: identifier \"foo\" is undefined", m);
    }

    [Fact]
    public void Cublas_arch_mismatch_points_to_float32_weights()
    {
        var m = CudaCheck.CublasMessage("cublasGemmEx(att.key: M=3, N=768, K=768, BFloat16)", CublasStatus.ArchMismatch, "CUBLAS_STATUS_ARCH_MISMATCH");
        Assert.StartsWith("cublasGemmEx(att.key: M=3, N=768, K=768, BFloat16) failed: CUBLAS_STATUS_ARCH_MISMATCH (8).", m);
        Assert.Contains(nameof(CudaWeightPrecision.Float32), m);
    }

    [Fact]
    public void Exceptions_expose_library_call_status_and_name()
    {
        var e = new CudaException(CudaLibrary.Cublas, "cublasCreate_v2(out h)", 1, "CUBLAS_STATUS_NOT_INITIALIZED", "msg");
        Assert.Equal(CudaLibrary.Cublas, e.Library);
        Assert.Equal("cublasCreate_v2(out h)", e.Call);
        Assert.Equal(1, e.Status);
        Assert.Equal("CUBLAS_STATUS_NOT_INITIALIZED", e.ErrorName);
    }
}
