namespace RwkvNative.Cuda;

/// <summary>
/// The share of the free device memory one automatically sized buffer may take (a pass's workspace, the staging of a
/// streamed store): 1/<see cref="Divisor"/>, so that several of them, resident stores, batch states and other processes
/// still fit beside it.
/// </summary>
internal static class FreeMemoryShare
{
    /// <summary>One buffer takes at most free / 4.</summary>
    public const int Divisor = 4;

    /// <summary>How many units of <paramref name="bytesPerUnit"/> fit in the share of <paramref name="freeBytes"/> (0 or more).</summary>
    public static long UnitsThatFit(long freeBytes, long bytesPerUnit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytesPerUnit, 1);
        return Math.Max(0, freeBytes) / Divisor / bytesPerUnit;
    }
}
