using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Handles;

/// <summary>Page-locked host memory from cuMemHostAlloc: the only host memory a captured CUDA graph may copy from or to.</summary>
internal sealed class PinnedHostHandle : ContextBoundHandle
{
    private PinnedHostHandle(ContextHandle context, long bytes) : base(context) => Bytes = bytes;

    /// <summary>Size in bytes.</summary>
    public long Bytes { get; }

    /// <summary>Allocates <paramref name="bytes"/> of pinned host memory (the context must be current).</summary>
    public static PinnedHostHandle Allocate(ContextHandle context, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        var h = new PinnedHostHandle(context, bytes);
        CudaCheck.Driver(CudaDriver.MemHostAlloc(out var p, (nuint)bytes, 0), bytes);
        h.Own(p);
        return h;
    }

    /// <summary>The memory as a span of <typeparamref name="T"/>.</summary>
    public unsafe Span<T> Span<T>(long length) where T : unmanaged
    {
        if (length < 0 || length * sizeof(T) > Bytes) throw new ArgumentOutOfRangeException(nameof(length));
        return new Span<T>((void*)Value, checked((int)length));
    }

    /// <inheritdoc/>
    protected override bool Free() => CudaDriver.MemFreeHost(Value) == CUresult.Success;
}
