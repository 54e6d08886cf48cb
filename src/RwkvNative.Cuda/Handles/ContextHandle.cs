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
