using System.Runtime.InteropServices;

namespace RwkvNative.Checkpoints;

/// <summary>CRC-32C (Castagnoli), hardware-accelerated through <see cref="System.Numerics.BitOperations.Crc32C(uint, ulong)"/>.</summary>
internal static class Crc32C
{
    /// <summary>Continues <paramref name="crc"/> (0 to start) over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var w in words) c = System.Numerics.BitOperations.Crc32C(c, w);
        for (int i = words.Length * 8; i < data.Length; i++) c = System.Numerics.BitOperations.Crc32C(c, data[i]);
        return ~c;
    }
}
