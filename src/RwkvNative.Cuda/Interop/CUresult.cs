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
    HostMemoryAlreadyRegistered = 712,
    HostMemoryNotRegistered = 713,
    LaunchFailed = 719,
    NotSupported = 801,
    SystemDriverMismatch = 803,
    CompatNotSupportedOnDevice = 804,
    Unknown = 999,
}
