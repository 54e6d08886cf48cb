namespace RwkvNative.Cuda.Interop;

/// <summary>CUresult (cuda.h): the status of every driver API call. Only values the messages treat specially are named.</summary>
internal enum CUresult
{
    Success = 0,
    InvalidValue = 1,
    OutOfMemory = 2,
    NotInitialized = 3,
    Deinitialized = 4,
    StubLibrary = 34,
    DeviceUnavailable = 46,
    NoDevice = 100,
    InvalidDevice = 101,
    InvalidImage = 200,
    InvalidContext = 201,
    NoBinaryForGpu = 209,
    InvalidPtx = 218,
    JitCompilerNotFound = 221,
    UnsupportedPtxVersion = 222,
    StreamCaptureUnsupported = 900,
    StreamCaptureInvalidated = 901,
    InvalidHandle = 400,
    NotFound = 500,
    IllegalAddress = 700,
    LaunchOutOfResources = 701,
    LaunchFailed = 719,
    NotSupported = 801,
    SystemDriverMismatch = 803,
    CompatNotSupportedOnDevice = 804,
    Unknown = 999,
}

/// <summary>CUstreamCaptureMode (cuda.h).</summary>
internal enum CUstreamCaptureMode
{
    /// <summary>CU_STREAM_CAPTURE_MODE_GLOBAL: unsafe calls (allocation, synchronisation) from any thread fail while capturing.</summary>
    Global = 0,
    /// <summary>CU_STREAM_CAPTURE_MODE_THREAD_LOCAL.</summary>
    ThreadLocal = 1,
    /// <summary>CU_STREAM_CAPTURE_MODE_RELAXED.</summary>
    Relaxed = 2,
}

/// <summary>CUdevice_attribute values used here.</summary>
internal enum CUdeviceAttribute
{
    MultiprocessorCount = 16,
    ComputeCapabilityMajor = 75,
    ComputeCapabilityMinor = 76,
}

/// <summary>nvrtcResult (nvrtc.h).</summary>
internal enum NvrtcResult
{
    Success = 0,
    OutOfMemory = 1,
    ProgramCreationFailure = 2,
    InvalidInput = 3,
    InvalidProgram = 4,
    InvalidOption = 5,
    Compilation = 6,
    BuiltinOperationFailure = 7,
}

/// <summary>cublasStatus_t (cublas_api.h).</summary>
internal enum CublasStatus
{
    Success = 0,
    NotInitialized = 1,
    AllocFailed = 3,
    InvalidValue = 7,
    ArchMismatch = 8,
    MappingError = 11,
    ExecutionFailed = 13,
    InternalError = 14,
    NotSupported = 15,
    LicenseError = 16,
}

/// <summary>cublasOperation_t.</summary>
internal enum CublasOperation
{
    None = 0,
    Transpose = 1,
}

/// <summary>cudaDataType_t values for the element types of weights and activations.</summary>
internal enum CudaDataType
{
    R32F = 0,
    R16F = 2,
    R16BF = 14,
}

/// <summary>cublasComputeType_t.</summary>
internal enum CublasComputeType
{
    /// <summary>CUBLAS_COMPUTE_32F: float32 accumulation, no TF32 down-conversion of float32 inputs.</summary>
    Compute32F = 68,
}

/// <summary>cublasGemmAlgo_t.</summary>
internal enum CublasGemmAlgo
{
    Default = -1,
}
