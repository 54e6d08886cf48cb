using System.Runtime.CompilerServices;
using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Memory;

/// <summary>One device allocation of a fixed size.</summary>
internal sealed class DeviceBuffer : IDisposable
{
    private readonly DeviceMemoryHandle memory;

    private DeviceBuffer(DeviceMemoryHandle memory, long bytes)
    {
        this.memory = memory;
        Bytes = bytes;
    }

    /// <summary>Size in bytes.</summary>
    public long Bytes { get; }

    /// <summary>Allocates <paramref name="bytes"/> (rounded up to 256) in the current context.</summary>
    public static DeviceBuffer Allocate(ContextHandle context, long bytes)
    {
        long size = Math.Max(256, (bytes + 255) & ~255L);
        return new DeviceBuffer(DeviceMemoryHandle.Allocate(context, size), size);
    }

    /// <summary>Allocates a buffer holding <paramref name="data"/> and copies it there (synchronously; for weights).</summary>
    public static unsafe DeviceBuffer Upload<T>(ContextHandle context, ReadOnlySpan<T> data) where T : unmanaged
    {
        long bytes = (long)data.Length * Unsafe.SizeOf<T>();
        var buffer = Allocate(context, bytes);
        try
        {
            fixed (T* p = data) CudaCheck.Driver(CudaDriver.MemcpyHtoD(buffer.memory.Pointer, p, (nuint)bytes));
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
        return buffer;
    }

    /// <summary>The whole buffer as elements of <typeparamref name="T"/>.</summary>
    public DeviceView<T> View<T>() where T : unmanaged => new(memory.Pointer, Bytes / Unsafe.SizeOf<T>());

    /// <summary>The first <paramref name="length"/> elements.</summary>
    public DeviceView<T> View<T>(long length) where T : unmanaged => View<T>().Slice(0, length);

    /// <summary>Frees the memory now.</summary>
    public void Dispose() => memory.Dispose();
}

/// <summary>
/// Shared by the buffers of one workspace: counts reallocations (a captured CUDA graph holds the old addresses, so any
/// growth makes it stale) and forbids growth while a graph is being captured.
/// </summary>
internal sealed class ScratchGrowth
{
    /// <summary>Incremented whenever any buffer is reallocated.</summary>
    public int Generation { get; private set; }

    /// <summary>While true (during stream capture), a buffer that would have to grow throws instead.</summary>
    public bool Frozen { get; set; }

    /// <summary>Records one reallocation.</summary>
    public void Grew() => Generation++;
}

/// <summary>
/// A workspace buffer that grows when a call needs more and never shrinks, so steady-state calls allocate nothing.
/// Contents are not kept across growth: callers fill it after asking for its size. Growing waits for the stream first,
/// because kernels already queued may still use the old allocation.
/// </summary>
internal sealed class ScratchBuffer(ContextHandle context, StreamHandle stream, ScratchGrowth? growth = null) : IDisposable
{
    private DeviceBuffer? buffer;

    /// <summary>Bytes currently allocated.</summary>
    public long Capacity => buffer?.Bytes ?? 0;

    /// <summary>A view of exactly <paramref name="length"/> elements, growing the allocation if needed.</summary>
    public DeviceView<T> Get<T>(long length) where T : unmanaged
    {
        long bytes = Math.Max(1, length) * Unsafe.SizeOf<T>();
        if (buffer == null || buffer.Bytes < bytes)
        {
            if (growth is { Frozen: true })
                throw new InvalidOperationException($"workspace buffer must grow to {bytes} bytes while a CUDA graph is being captured");
            growth?.Grew();
            long grown = Math.Max(bytes, Capacity + Capacity / 2);
            if (buffer != null) stream.Synchronize();
            buffer?.Dispose();
            buffer = null;
            buffer = DeviceBuffer.Allocate(context, grown);
        }
        return buffer.View<T>(length);
    }

    /// <summary>Frees the memory.</summary>
    public void Dispose()
    {
        buffer?.Dispose();
        buffer = null;
    }
}
