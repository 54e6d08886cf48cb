using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Handles;

/// <summary>A CUstream; each backend instance owns one and issues all its work on it.</summary>
internal sealed class StreamHandle : ContextBoundHandle
{
    private const uint NonBlocking = 1; // CU_STREAM_NON_BLOCKING: no implicit sync with the legacy default stream

    private StreamHandle(ContextHandle context) : base(context) { }

    /// <summary>Creates a non-blocking stream; the context must be current.</summary>
    public static StreamHandle Create(ContextHandle context)
    {
        var h = new StreamHandle(context);
        CudaCheck.Driver(CudaDriver.StreamCreate(out var stream, NonBlocking));
        h.Own(stream);
        return h;
    }

    /// <summary>Bytes moved and launches issued on this stream.</summary>
    public StreamCounters Counters { get; } = new();

    /// <summary>Waits for all work issued on the stream.</summary>
    public void Synchronize() => CudaCheck.Driver(CudaDriver.StreamSynchronize(Value));

    /// <inheritdoc/>
    protected override bool Free() => CudaDriver.StreamDestroy(Value) == CUresult.Success;
}
