using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Handles;

/// <summary>
/// Host memory the process already owns (a memory-mapped file), page-locked in place with cuMemHostRegister so that
/// asynchronous copies from it are true DMA; unregistered on release, which must come before the memory goes away.
/// </summary>
internal sealed class RegisteredHostHandle : ContextBoundHandle
{
    private RegisteredHostHandle(ContextHandle context, long bytes) : base(context) => Bytes = bytes;

    /// <summary>Size of the registered range in bytes.</summary>
    public long Bytes { get; }

    /// <summary>
    /// Registers [<paramref name="pointer"/>, + <paramref name="bytes"/>) read-only (the context must be current), or
    /// returns null with the driver's refusal in <paramref name="status"/>: registration is an optimisation (some drivers
    /// and kernels refuse file-backed or very large ranges), so callers fall back to pageable copies.
    /// </summary>
    public static RegisteredHostHandle? TryRegister(ContextHandle context, nint pointer, long bytes, out CUresult status)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        var h = new RegisteredHostHandle(context, bytes);
        status = CudaDriver.MemHostRegister(pointer, (nuint)bytes, CudaDriver.MemHostRegisterReadOnly);
        if (status != CUresult.Success)
        {
            h.SetHandleAsInvalid();
            return null;
        }
        h.Own(pointer);
        return h;
    }

    /// <inheritdoc/>
    protected override bool Free() => CudaDriver.MemHostUnregister(Value) == CUresult.Success;
}
