using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Handles;

/// <summary>A CUDA graph (CUgraph) as ended capture returns it: destroyed on dispose, also when instantiating it fails.</summary>
internal sealed class GraphHandle : ContextBoundHandle
{
    private GraphHandle(ContextHandle context) : base(context) { }

    /// <summary>Takes ownership of <paramref name="graph"/> (non-zero) from cuStreamEndCapture.</summary>
    public static GraphHandle Adopt(ContextHandle context, nint graph)
    {
        if (graph == 0) throw new ArgumentException("no graph to adopt", nameof(graph));
        var h = new GraphHandle(context);
        h.Own(graph);
        return h;
    }

    /// <inheritdoc/>
    protected override bool Free() => CudaDriver.GraphDestroy(Value) == CUresult.Success;
}
