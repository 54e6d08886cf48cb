using System.Runtime.CompilerServices;

namespace RwkvNative.Cuda.Memory;

/// <summary>
/// <paramref name="Length"/> elements of <typeparamref name="T"/> in device memory starting at <paramref name="Address"/>.
/// Launchers check lengths against the shapes they are given, so a wrong size fails on the host, not as a fault.
/// </summary>
internal readonly record struct DeviceView<T>(ulong Address, long Length) where T : unmanaged
{
    /// <summary>Size in bytes.</summary>
    public long Bytes => Length * Unsafe.SizeOf<T>();

    /// <summary>Elements <paramref name="start"/> .. <paramref name="start"/> + <paramref name="length"/> - 1.</summary>
    public DeviceView<T> Slice(long start, long length)
    {
        if (start < 0 || length < 0 || start + length > Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"slice [{start}, {start + length}) outside a view of {Length} elements");
        return new DeviceView<T>(Address + (ulong)(start * Unsafe.SizeOf<T>()), length);
    }

    /// <summary>Throws unless the view holds at least <paramref name="elements"/> elements.</summary>
    public void Require(long elements, string what)
    {
        if (Length < elements)
            throw new ArgumentException($"{what}: device buffer holds {Length} elements, the shape needs {elements}");
    }
}
