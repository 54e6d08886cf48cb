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
