using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Interop;
using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda.Capture;

/// <summary>
/// Records what a delegate enqueues on a stream into an instantiated CUDA graph. Capture is thread-local
/// (CU_STREAM_CAPTURE_MODE_THREAD_LOCAL): only the capturing thread is barred from unsafe calls (allocation,
/// synchronisation), so another backend, test or server model allocating or synchronising on its own thread at the same
/// moment neither fails nor spoils the capture, as it would in global mode.
/// </summary>
internal static class StreamCapture
{
    /// <summary>The capture mode every capture uses.</summary>
    public const CUstreamCaptureMode Mode = CUstreamCaptureMode.ThreadLocal;

    /// <summary>
    /// Captures <paramref name="enqueue"/> on <paramref name="stream"/> and instantiates the graph (context current).
    /// The stream always leaves capture mode; the graph is destroyed whatever fails after capture ended (the delegate
    /// throwing, capture invalidated, instantiation failing).
    /// </summary>
    public static GraphExecHandle Record(ContextHandle context, StreamHandle stream, Action enqueue)
    {
        ArgumentNullException.ThrowIfNull(enqueue);
        CudaCheck.Driver(CudaDriver.StreamBeginCapture(stream.Value, Mode));
        GraphHandle? graph = null;
        CUresult end;
        bool enqueued = false;
        try
        {
            enqueue();
            enqueued = true;
        }
        finally
        {
            end = CudaDriver.StreamEndCapture(stream.Value, out var raw);
            if (raw != 0) graph = GraphHandle.Adopt(context, raw);
            if (!enqueued) graph?.Dispose();
        }
        using (graph)
        {
            CudaCheck.Driver(end, call: "cuStreamEndCapture (the capture was invalidated by a call not allowed while capturing)");
            if (graph == null) throw new InvalidOperationException("cuStreamEndCapture succeeded but returned no graph");
            return GraphExecHandle.Instantiate(context, graph);
        }
    }
}
