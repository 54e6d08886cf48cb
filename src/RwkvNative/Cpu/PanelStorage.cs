// The checks and the allocation both packed weight layouts (LinearWeight's float panels, Int8Weight's int8 quads) share.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RwkvNative.Cpu;

/// <summary>Size and index checks of an [N, K] weight, and the pinned, 64-byte aligned array its packed panels live in.</summary>
internal static class PanelStorage
{
    /// <summary>Throws unless N and K are positive.</summary>
    public static void CheckSizes(int outputs, int inputs)
    {
        if (outputs <= 0 || inputs <= 0)
            throw new ArgumentOutOfRangeException(nameof(outputs), $"a weight needs positive sizes, got {outputs}x{inputs}");
    }

    /// <summary>Throws unless <paramref name="length"/> source elements make an [N, K] matrix.</summary>
    public static void CheckLength(int length, int outputs, int inputs)
    {
        if ((long)outputs * inputs != length)
            throw new ArgumentException($"weight has {length} elements, expected {outputs}x{inputs}");
    }

    /// <summary>Throws unless (n, k) lies inside [N, K].</summary>
    public static void CheckIndex(int n, int k, int outputs, int inputs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(n, outputs);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(k, inputs);
    }

    /// <summary>
    /// A pinned array with <paramref name="length"/> elements usable from a 64-byte aligned <paramref name="offset"/>;
    /// <paramref name="outputs"/> x <paramref name="inputs"/> name the weight when it is too large for one array.
    /// </summary>
    public static unsafe T[] AllocateAligned<T>(long length, int outputs, int inputs, out int offset) where T : unmanaged
    {
        if (length > Array.MaxLength - 64) throw new ArgumentException($"weight {outputs}x{inputs} is too large");
        var array = GC.AllocateArray<T>((int)length + 64 / sizeof(T), pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        offset = (int)((64 - (address & 63)) & 63) / sizeof(T);
        return array;
    }
}
