using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Handles;

/// <summary>A cuBLAS handle bound to one stream.</summary>
internal sealed class CublasHandle : ContextBoundHandle
{
    private CublasHandle(ContextHandle context) : base(context) { }

    /// <summary>Creates a handle whose work goes to <paramref name="stream"/>; the context must be current.</summary>
    public static CublasHandle Create(ContextHandle context, StreamHandle stream)
    {
        var h = new CublasHandle(context);
        CudaCheck.Cublas(Cublas.Create(out var handle));
        h.Own(handle);
        CudaCheck.Cublas(Cublas.SetStream(handle, stream.Value));
        return h;
    }

    /// <summary>cuBLAS version, e.g. 130000.</summary>
    public int Version
    {
        get
        {
            CudaCheck.Cublas(Cublas.GetVersion(Value, out var v));
            return v;
        }
    }

    /// <inheritdoc/>
    protected override bool Free() => Cublas.Destroy(Value) == CublasStatus.Success;
}
