using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Handles;

/// <summary>A loaded module (cubin, or PTX for the driver to JIT).</summary>
internal sealed class CudaModuleHandle : ContextBoundHandle
{
    private CudaModuleHandle(ContextHandle context) : base(context) { }

    /// <summary>Loads <paramref name="image"/> (a cubin, or NUL-terminated PTX); the context must be current.</summary>
    public static unsafe CudaModuleHandle Load(ContextHandle context, ReadOnlySpan<byte> image)
    {
        var h = new CudaModuleHandle(context);
        nint module;
        fixed (byte* p = image) CudaCheck.Driver(CudaDriver.ModuleLoadData(out module, p));
        h.Own(module);
        return h;
    }

    /// <summary>The CUfunction named <paramref name="name"/> (an <c>extern "C"</c> kernel).</summary>
    public nint Function(string name)
    {
        CudaCheck.Driver(CudaDriver.ModuleGetFunction(out var function, Value, name));
        return function;
    }

    /// <inheritdoc/>
    protected override bool Free() => CudaDriver.ModuleUnload(Value) == CUresult.Success;
}
