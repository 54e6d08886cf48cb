using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Handles;

/// <summary>A CUevent with timing enabled, used to measure GPU time of a call.</summary>
internal sealed class EventHandle : ContextBoundHandle
{
    private EventHandle(ContextHandle context) : base(context) { }

    private const uint DisableTiming = 2; // CU_EVENT_DISABLE_TIMING: a fence between streams, cheaper to record and wait on

    /// <summary>Creates an event (CU_EVENT_DEFAULT, or a fence without timing); the context must be current.</summary>
    public static EventHandle Create(ContextHandle context, bool timing = true)
    {
        var h = new EventHandle(context);
        CudaCheck.Driver(CudaDriver.EventCreate(out var e, timing ? 0 : DisableTiming));
        h.Own(e);
        return h;
    }

    /// <summary>Records the event on <paramref name="stream"/>.</summary>
    public void Record(StreamHandle stream) => CudaCheck.Driver(CudaDriver.EventRecord(Value, stream.Value));

    /// <summary>Milliseconds between <paramref name="start"/> and this event (both recorded; waits for this one).</summary>
    public float MillisecondsSince(EventHandle start)
    {
        CudaCheck.Driver(CudaDriver.EventSynchronize(Value));
        CudaCheck.Driver(CudaDriver.EventElapsedTime(out var ms, start.Value, Value));
        return ms;
    }

    /// <inheritdoc/>
    protected override bool Free() => CudaDriver.EventDestroy(Value) == CUresult.Success;
}
