// Where a CPU forward spends its time, for the benchmarks' fixed-cost breakdown: off unless a benchmark turns it on.
using System.Diagnostics;

namespace RwkvNative.Cpu;

/// <summary>
/// Process-wide clocks of the CPU backend's matrix products and wkv7 recurrence (wall time of each call on the calling
/// thread, parallel parts included), summed while <see cref="Enabled"/>. A diagnostic: concurrent forwards add into the
/// same clocks, so a benchmark reads them around calls of one thread only.
/// </summary>
internal static class CpuProfile
{
    private static long s_gemmTicks, s_gemmCalls, s_recurrenceTicks;

    /// <summary>Whether the clocks run (one branch per GEMM call when off).</summary>
    public static bool Enabled { get; set; }

    /// <summary>Seconds inside <see cref="Gemm"/> calls since the last <see cref="Reset"/>.</summary>
    public static double GemmSeconds => (double)Interlocked.Read(ref s_gemmTicks) / Stopwatch.Frequency;

    /// <summary>GEMM calls since the last <see cref="Reset"/>.</summary>
    public static long GemmCalls => Interlocked.Read(ref s_gemmCalls);

    /// <summary>Seconds inside the wkv7 recurrence (all heads of a layer, one call per layer) since the last <see cref="Reset"/>.</summary>
    public static double RecurrenceSeconds => (double)Interlocked.Read(ref s_recurrenceTicks) / Stopwatch.Frequency;

    public static void Reset()
    {
        Interlocked.Exchange(ref s_gemmTicks, 0);
        Interlocked.Exchange(ref s_gemmCalls, 0);
        Interlocked.Exchange(ref s_recurrenceTicks, 0);
    }

    internal static void AddGemm(long startTimestamp)
    {
        Interlocked.Add(ref s_gemmTicks, Stopwatch.GetTimestamp() - startTimestamp);
        Interlocked.Increment(ref s_gemmCalls);
    }

    internal static void AddRecurrence(long startTimestamp) =>
        Interlocked.Add(ref s_recurrenceTicks, Stopwatch.GetTimestamp() - startTimestamp);
}
