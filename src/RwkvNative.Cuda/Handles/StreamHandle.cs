using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Handles;

/// <summary>A CUstream; each backend instance owns one and issues all its work on it.</summary>
internal sealed class StreamHandle : ContextBoundHandle
{
    private const uint NonBlocking = 1; // CU_STREAM_NON_BLOCKING: no implicit sync with the legacy default stream

    private StreamHandle(ContextHandle context, StreamCounters counters) : base(context) => Counters = counters;

    /// <summary>
    /// Creates a non-blocking stream (the context must be current) counting into <paramref name="counters"/> when given,
    /// so a helper stream (a copy stream) adds to its session's figures.
    /// </summary>
    public static StreamHandle Create(ContextHandle context, StreamCounters? counters = null)
    {
        var h = new StreamHandle(context, counters ?? new StreamCounters());
        CudaCheck.Driver(CudaDriver.StreamCreate(out var stream, NonBlocking));
        h.Own(stream);
        return h;
    }

    /// <summary>Bytes moved and launches issued on this stream.</summary>
    public StreamCounters Counters { get; }

    /// <summary>Makes later work on this stream wait until <paramref name="done"/> (recorded on another stream) has completed.</summary>
    public void Wait(EventHandle done) => CudaCheck.Driver(CudaDriver.StreamWaitEvent(Value, done.Value, 0));

    /// <summary>Waits for all work issued on the stream.</summary>
    public void Synchronize() => CudaCheck.Driver(CudaDriver.StreamSynchronize(Value));

    /// <inheritdoc/>
    protected override bool Free() => CudaDriver.StreamDestroy(Value) == CUresult.Success;
}
