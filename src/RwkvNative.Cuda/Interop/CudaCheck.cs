using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RwkvNative.Cuda.Interop;

/// <summary>
/// The one place native statuses become exceptions. Each check takes the call's source text through
/// <see cref="CallerArgumentExpressionAttribute"/> so the message names the failing call.
/// </summary>
internal static unsafe class CudaCheck
{
    /// <summary>Throws a <see cref="CudaException"/> unless <paramref name="status"/> is success.</summary>
    /// <param name="status">The driver call's result.</param>
    /// <param name="requestedBytes">For allocations: the size asked for, quoted when memory runs out.</param>
    /// <param name="call">Filled in by the compiler.</param>
    public static void Driver(CUresult status, long requestedBytes = -1, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == CUresult.Success) return;
        var (name, text) = DriverErrorText(status);
        string? memory = null;
        if (status == CUresult.OutOfMemory && CudaDriver.MemGetInfo(out var free, out var total) == CUresult.Success)
            memory = $"{Mib((long)free)} free of {Mib((long)total)}";
        throw new CudaException(CudaLibrary.Driver, call, (int)status, name,
            DriverMessage(call, status, name, text, requestedBytes, memory));
    }

    /// <summary>Throws unless <paramref name="status"/> is success; <paramref name="log"/> is the compiler's output, if any.</summary>
    public static void Nvrtc(NvrtcResult status, string? log = null, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == NvrtcResult.Success) return;
        string name;
        try { name = Marshal.PtrToStringUTF8((nint)Interop.Nvrtc.GetErrorString(status)) ?? NvrtcName(status); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { name = NvrtcName(status); }
        throw new CudaException(CudaLibrary.Nvrtc, call, (int)status, name, NvrtcMessage(call, status, name, log));
    }

    /// <summary>Throws unless <paramref name="status"/> is success.</summary>
    public static void Cublas(CublasStatus status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == CublasStatus.Success) return;
        var name = CublasName(status);
        throw new CudaException(CudaLibrary.Cublas, call, (int)status, name, CublasMessage(call, status, name));
    }

    /// <summary>Name and description from the driver; our own names when the driver cannot say.</summary>
    internal static (string Name, string Text) DriverErrorText(CUresult status)
    {
        try
        {
            string? name = null, text = null;
            if (CudaDriver.GetErrorName(status, out var n) == CUresult.Success) name = Marshal.PtrToStringUTF8((nint)n);
            if (CudaDriver.GetErrorString(status, out var s) == CUresult.Success) text = Marshal.PtrToStringUTF8((nint)s);
            return (name ?? DriverName(status), text ?? "");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return (DriverName(status), "");
        }
    }

    /// <summary>The message for a failed driver call (pure formatting, so tests can check it without a driver).</summary>
    internal static string DriverMessage(string call, CUresult status, string name, string text, long requestedBytes, string? memory)
    {
        var what = text.Length > 0 ? $"{name} ({(int)status}): {text}" : $"{name} ({(int)status})";
        var fix = status switch
        {
            CUresult.OutOfMemory =>
                $"out of GPU memory{(requestedBytes >= 0 ? $" allocating {Mib(requestedBytes)}" : "")}{(memory != null ? $" ({memory})" : "")}: " +
                "pass fewer tokens per call or lower CudaBackendOptions.MaxTokensPerPass, use a smaller batch, or free the GPU (nvidia-smi lists its users)",
            CUresult.UnsupportedPtxVersion =>
                "the NVIDIA driver is older than the NVRTC that compiled the kernels: update the driver, or point RWKV_NVRTC at an " +
                "NVRTC whose CUDA version is not newer than the driver's (nvidia-smi shows it), or compile for a lower architecture " +
                "(RWKV_CUDA_ARCH=XY, e.g. 80, selects sm_XY cubins or compute_XY PTX)",
            CUresult.NoBinaryForGpu or CUresult.InvalidImage or CUresult.InvalidPtx =>
                "the compiled kernels do not match this GPU or driver: delete the kernel cache (RWKV_KERNEL_CACHE or ~/.cache/rwkvnative/kernels) and retry",
            CUresult.NoDevice => "no CUDA device is visible: check nvidia-smi and CUDA_VISIBLE_DEVICES",
            CUresult.InvalidDevice => "no CUDA device has that index: list them with nvidia-smi",
            CUresult.StubLibrary => "the loaded libcuda is the toolkit's stub, not the driver: put the driver's libcuda.so.1 first on the library path or set RWKV_CUDA_DRIVER",
            CUresult.SystemDriverMismatch => "the driver's user-space library and kernel module differ in version: reinstall the driver or reboot",
            CUresult.CompatNotSupportedOnDevice => "CUDA forward compatibility is not supported on this GPU: update the NVIDIA driver",
            CUresult.NotInitialized or CUresult.Deinitialized => "the driver is not initialised (or is shutting down): create the backend again",
            CUresult.DeviceUnavailable => "the GPU is busy or in exclusive-process mode used by another process",
            CUresult.IllegalAddress or CUresult.LaunchFailed =>
                "a kernel faulted and the CUDA context is now unusable: restart the process; this is a bug, please report it with the input shapes (compute-sanitizer shows the kernel)",
            CUresult.LaunchOutOfResources => "a kernel needs more registers or threads than this GPU offers: report it with the GPU model",
            CUresult.StreamCaptureUnsupported or CUresult.StreamCaptureInvalidated =>
                "a call that is not allowed while capturing a CUDA graph happened during capture: this is a bug; set RWKV_CUDA_GRAPHS=0 to work around it and report it",
            CUresult.JitCompilerNotFound => "the driver cannot JIT PTX (its libnvidia-ptxjitcompiler is missing): reinstall the driver",
            _ => "check that the NVIDIA driver works (nvidia-smi) and report the error if it persists",
        };
        return $"{call} failed: {what}. {fix}.";
    }

    internal static string NvrtcMessage(string call, NvrtcResult status, string name, string? log)
    {
        var fix = status switch
        {
            NvrtcResult.Compilation => "a kernel did not compile: this is a bug in kernels/*.cu or an NVRTC too old for them (CUDA 12 or newer is needed)",
            NvrtcResult.InvalidOption => "NVRTC rejected an option (usually --gpu-architecture): this NVRTC may not know the GPU; set RWKV_NVRTC to a newer NVRTC",
            NvrtcResult.BuiltinOperationFailure => "NVRTC could not load its builtins library (libnvrtc-builtins): install it beside libnvrtc",
            NvrtcResult.OutOfMemory => "NVRTC ran out of host memory",
            _ => "report the error with the NVRTC version",
        };
        var tail = string.IsNullOrWhiteSpace(log) ? "" : $"{Environment.NewLine}NVRTC log:{Environment.NewLine}{log.TrimEnd()}";
        return $"{call} failed: {name} ({(int)status}). {fix}.{tail}";
    }

    internal static string CublasMessage(string call, CublasStatus status, string name)
    {
        var fix = status switch
        {
            CublasStatus.NotInitialized => "cuBLAS could not start: its CUDA major version may be newer than the driver (try RWKV_CUBLAS pointing at libcublas.so.12), or the GPU is out of memory",
            CublasStatus.AllocFailed => "cuBLAS could not allocate GPU memory: use smaller batches",
            CublasStatus.ArchMismatch => "this GPU lacks a feature the GEMM needs (bf16 GEMMs need compute capability 8.0 or newer): use CudaWeightPrecision.Float32",
            CublasStatus.NotSupported => "cuBLAS does not support this GEMM configuration on this GPU (bf16 needs sm_80+): use CudaWeightPrecision.Float32",
            CublasStatus.InvalidValue => "a GEMM was given an invalid shape or leading dimension: this is a bug, please report it with the model shape",
            CublasStatus.ExecutionFailed => "the GEMM kernel failed to run: check the GPU with nvidia-smi",
            _ => "report the error with the cuBLAS version",
        };
        return $"{call} failed: {name} ({(int)status}). {fix}.";
    }

    internal static string DriverName(CUresult status) => status switch
    {
        CUresult.Success => "CUDA_SUCCESS",
        CUresult.InvalidValue => "CUDA_ERROR_INVALID_VALUE",
        CUresult.OutOfMemory => "CUDA_ERROR_OUT_OF_MEMORY",
        CUresult.NotInitialized => "CUDA_ERROR_NOT_INITIALIZED",
        CUresult.Deinitialized => "CUDA_ERROR_DEINITIALIZED",
        CUresult.StubLibrary => "CUDA_ERROR_STUB_LIBRARY",
        CUresult.DeviceUnavailable => "CUDA_ERROR_DEVICE_UNAVAILABLE",
        CUresult.NoDevice => "CUDA_ERROR_NO_DEVICE",
        CUresult.InvalidDevice => "CUDA_ERROR_INVALID_DEVICE",
        CUresult.InvalidImage => "CUDA_ERROR_INVALID_IMAGE",
        CUresult.InvalidContext => "CUDA_ERROR_INVALID_CONTEXT",
        CUresult.NoBinaryForGpu => "CUDA_ERROR_NO_BINARY_FOR_GPU",
        CUresult.InvalidPtx => "CUDA_ERROR_INVALID_PTX",
        CUresult.JitCompilerNotFound => "CUDA_ERROR_JIT_COMPILER_NOT_FOUND",
        CUresult.UnsupportedPtxVersion => "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
        CUresult.StreamCaptureUnsupported => "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED",
        CUresult.StreamCaptureInvalidated => "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED",
        CUresult.InvalidHandle => "CUDA_ERROR_INVALID_HANDLE",
        CUresult.NotFound => "CUDA_ERROR_NOT_FOUND",
        CUresult.IllegalAddress => "CUDA_ERROR_ILLEGAL_ADDRESS",
        CUresult.LaunchOutOfResources => "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
        CUresult.LaunchFailed => "CUDA_ERROR_LAUNCH_FAILED",
        CUresult.NotSupported => "CUDA_ERROR_NOT_SUPPORTED",
        CUresult.SystemDriverMismatch => "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
        CUresult.CompatNotSupportedOnDevice => "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE",
        CUresult.Unknown => "CUDA_ERROR_UNKNOWN",
        _ => $"CUresult {(int)status}",
    };

    internal static string NvrtcName(NvrtcResult status) => status switch
    {
        NvrtcResult.Success => "NVRTC_SUCCESS",
        NvrtcResult.OutOfMemory => "NVRTC_ERROR_OUT_OF_MEMORY",
        NvrtcResult.ProgramCreationFailure => "NVRTC_ERROR_PROGRAM_CREATION_FAILURE",
        NvrtcResult.InvalidInput => "NVRTC_ERROR_INVALID_INPUT",
        NvrtcResult.InvalidProgram => "NVRTC_ERROR_INVALID_PROGRAM",
        NvrtcResult.InvalidOption => "NVRTC_ERROR_INVALID_OPTION",
        NvrtcResult.Compilation => "NVRTC_ERROR_COMPILATION",
        NvrtcResult.BuiltinOperationFailure => "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE",
        _ => $"nvrtcResult {(int)status}",
    };

    internal static string CublasName(CublasStatus status) => status switch
    {
        CublasStatus.Success => "CUBLAS_STATUS_SUCCESS",
        CublasStatus.NotInitialized => "CUBLAS_STATUS_NOT_INITIALIZED",
        CublasStatus.AllocFailed => "CUBLAS_STATUS_ALLOC_FAILED",
        CublasStatus.InvalidValue => "CUBLAS_STATUS_INVALID_VALUE",
        CublasStatus.ArchMismatch => "CUBLAS_STATUS_ARCH_MISMATCH",
        CublasStatus.MappingError => "CUBLAS_STATUS_MAPPING_ERROR",
        CublasStatus.ExecutionFailed => "CUBLAS_STATUS_EXECUTION_FAILED",
        CublasStatus.InternalError => "CUBLAS_STATUS_INTERNAL_ERROR",
        CublasStatus.NotSupported => "CUBLAS_STATUS_NOT_SUPPORTED",
        CublasStatus.LicenseError => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => $"cublasStatus_t {(int)status}",
    };

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024.0):F1} MiB";
}
