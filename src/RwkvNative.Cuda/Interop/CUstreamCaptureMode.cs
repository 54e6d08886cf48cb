namespace RwkvNative.Cuda.Interop;

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
