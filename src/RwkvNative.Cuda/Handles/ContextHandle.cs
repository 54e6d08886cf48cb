using Microsoft.Win32.SafeHandles;
using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Handles;

/// <summary>
/// A retained primary context of one device (shared with every other user of the device in this process, including
/// the CUDA runtime inside cuBLAS). Objects created in it hold a reference to it, so it is released last.
/// </summary>
internal sealed class ContextHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private ContextHandle(int device) : base(ownsHandle: true) => Device = device;

    /// <summary>The CUdevice the context belongs to.</summary>
    public int Device { get; }

    /// <summary>Retains the primary context of <paramref name="device"/>.</summary>
    public static ContextHandle RetainPrimary(int device)
    {
        var handle = new ContextHandle(device);
        CudaCheck.Driver(CudaDriver.DevicePrimaryCtxRetain(out var context, device));
        handle.SetHandle(context);
        return handle;
    }

    /// <summary>Makes this context current on the calling thread until the returned scope is disposed.</summary>
    public Scope Enter()
    {
        CudaCheck.Driver(CudaDriver.CtxPushCurrent(handle));
        return new Scope();
    }

    /// <summary>Pops the context pushed by <see cref="Enter"/>.</summary>
    public readonly struct Scope : IDisposable
    {
        /// <summary>Restores the thread's previous context.</summary>
        public void Dispose() => CudaCheck.Driver(CudaDriver.CtxPopCurrent(out _));
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => CudaDriver.DevicePrimaryCtxRelease(Device) == CUresult.Success;
}

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
