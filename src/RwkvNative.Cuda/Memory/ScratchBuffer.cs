using System.Runtime.CompilerServices;
using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Memory;

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
