using System.Runtime.CompilerServices;
using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Memory;

/// <summary>
/// Copies and fills on a stream; host↔device copies are counted on the stream's <see cref="StreamCounters"/> and happen
/// only at the API boundary of a call.
/// </summary>
internal static unsafe class DeviceCopy
{
    /// <summary>
    /// Copies <paramref name="source"/> to the start of <paramref name="destination"/>. The driver stages pageable memory
    /// before returning, so the span may be reused as soon as this returns.
    /// </summary>
    public static void Upload<T>(StreamHandle stream, ReadOnlySpan<T> source, DeviceView<T> destination) where T : unmanaged
    {
        destination.Require(source.Length, "upload");
        if (source.IsEmpty) return;
        fixed (T* p = source)
            CudaCheck.Driver(CudaDriver.MemcpyHtoDAsync(destination.Address, p, (nuint)((long)source.Length * Unsafe.SizeOf<T>()), stream.Value));
        stream.Counters.HostToDevice((long)source.Length * Unsafe.SizeOf<T>());
    }

    /// <summary>Copies the first <c>destination.Length</c> elements of <paramref name="source"/> into host memory and waits for them.</summary>
    public static void Download<T>(StreamHandle stream, DeviceView<T> source, Span<T> destination) where T : unmanaged
    {
        source.Require(destination.Length, "download");
        if (destination.IsEmpty) return;
        fixed (T* p = destination)
        {
            CudaCheck.Driver(CudaDriver.MemcpyDtoHAsync(p, source.Address, (nuint)((long)destination.Length * Unsafe.SizeOf<T>()), stream.Value));
            stream.Synchronize(); // the span is only pinned inside this block
        }
        stream.Counters.DeviceToHost((long)destination.Length * Unsafe.SizeOf<T>());
    }

    /// <summary>Copies <paramref name="source"/> into the start of <paramref name="destination"/> on the device (asynchronous).</summary>
    public static void DeviceToDevice<T>(StreamHandle stream, DeviceView<T> source, DeviceView<T> destination) where T : unmanaged
    {
        destination.Require(source.Length, "device copy");
        if (source.Length == 0) return;
        CudaCheck.Driver(CudaDriver.MemcpyDtoDAsync(destination.Address, source.Address, (nuint)source.Bytes, stream.Value));
    }

    /// <summary>Sets every element of a 4-byte-element view to zero.</summary>
    public static void Zero<T>(StreamHandle stream, DeviceView<T> destination) where T : unmanaged
    {
        if (Unsafe.SizeOf<T>() != 4) throw new ArgumentException("Zero needs 4-byte elements");
        if (destination.Length == 0) return;
        CudaCheck.Driver(CudaDriver.MemsetD32Async(destination.Address, 0, (nuint)destination.Length, stream.Value));
    }
}
