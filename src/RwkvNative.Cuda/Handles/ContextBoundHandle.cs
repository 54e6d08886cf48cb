using Microsoft.Win32.SafeHandles;
using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Handles;

/// <summary>
/// Base of handles to objects that live in a context: each keeps the context alive (SafeHandle reference count) and
/// makes it current while freeing, so disposal works from any thread, and the finalizer is only a last resort.
/// </summary>
internal abstract class ContextBoundHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    protected ContextBoundHandle(ContextHandle context) : base(ownsHandle: true) => Context = context;

    /// <summary>The owning context.</summary>
    public ContextHandle Context { get; }

    /// <summary>Raw value as the native API expects it.</summary>
    public nint Value => handle;

    /// <summary>Frees the native object; the context is current.</summary>
    protected abstract bool Free();

    /// <summary>Takes ownership of a freshly created object; only then does it pin the context.</summary>
    protected void Own(nint value)
    {
        bool added = false;
        Context.DangerousAddRef(ref added);
        SetHandle(value);
    }

    /// <inheritdoc/>
    protected sealed override bool ReleaseHandle()
    {
        bool pushed = CudaDriver.CtxPushCurrent(Context.DangerousGetHandle()) == CUresult.Success;
        try
        {
            return Free() && pushed;
        }
        finally
        {
            if (pushed) CudaDriver.CtxPopCurrent(out _);
            Context.DangerousRelease();
        }
    }
}
