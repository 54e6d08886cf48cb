using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Handles;

/// <summary>An instantiated CUDA graph (CUgraphExec).</summary>
internal sealed class GraphExecHandle : ContextBoundHandle
{
    private GraphExecHandle(ContextHandle context) : base(context) { }

    /// <summary>Instantiates <paramref name="graph"/> (which stays owned by the caller; the exec keeps what it needs).</summary>
    public static GraphExecHandle Instantiate(ContextHandle context, GraphHandle graph)
    {
        var h = new GraphExecHandle(context);
        try
        {
            CudaCheck.Driver(CudaDriver.GraphInstantiateWithFlags(out var exec, graph.Value, 0));
            h.Own(exec);
            return h;
        }
        catch
        {
            h.Dispose();
            throw;
        }
    }

    /// <summary>Enqueues one replay on <paramref name="stream"/>.</summary>
    public void Launch(StreamHandle stream)
    {
        CudaCheck.Driver(CudaDriver.GraphLaunch(Value, stream.Value));
        stream.Counters.Launch();
    }

    /// <inheritdoc/>
    protected override bool Free() => CudaDriver.GraphExecDestroy(Value) == CUresult.Success;
}
