using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Handles;

/// <summary>One cuMemAlloc allocation.</summary>
internal sealed class DeviceMemoryHandle : ContextBoundHandle
{
    private DeviceMemoryHandle(ContextHandle context) : base(context) { }

    /// <summary>Allocates <paramref name="bytes"/> (the context must be current).</summary>
    public static DeviceMemoryHandle Allocate(ContextHandle context, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        var h = new DeviceMemoryHandle(context);
        CudaCheck.Driver(CudaDriver.MemAlloc(out var pointer, (nuint)bytes), bytes);
        h.Own((nint)pointer);
        return h;
    }

    /// <summary>The CUdeviceptr.</summary>
    public ulong Pointer => (ulong)Value;

    /// <inheritdoc/>
    protected override bool Free() => CudaDriver.MemFree(Pointer) == CUresult.Success;
}
