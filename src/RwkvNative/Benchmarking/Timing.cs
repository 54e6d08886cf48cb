using System.Diagnostics;

namespace RwkvNative.Benchmarking;

/// <summary>Wall-clock seconds of repeated calls: median, fastest, slowest and 99th percentile (the statistics every benchmark prints).</summary>
/// <param name="Median">Median seconds per call.</param>
/// <param name="Min">Fastest call.</param>
/// <param name="Max">Slowest call.</param>
/// <param name="P99">99th percentile.</param>
public readonly record struct Timing(double Median, double Min, double Max, double P99)
{
    /// <summary>Runs <paramref name="call"/> <paramref name="warmup"/> times untimed, then <paramref name="iters"/> times timed.</summary>
    public static Timing Measure(Action call, int warmup, int iters)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentOutOfRangeException.ThrowIfLessThan(iters, 1);
        for (int i = 0; i < warmup; i++) call();
        var times = new double[iters];
        for (int i = 0; i < iters; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            call();
            times[i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        return Of(times);
    }

    /// <summary>
    /// Times several calls alternately, call by call (so all of them see the same load on the machine):
    /// <paramref name="warmup"/> untimed rounds, then <paramref name="iters"/> timed ones; the statistics of each call, in order.
    /// </summary>
    public static Timing[] MeasureAlternating(int warmup, int iters, params Action[] calls)
    {
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentOutOfRangeException.ThrowIfLessThan(iters, 1);
        for (int i = 0; i < warmup; i++)
            foreach (var call in calls) call();
        var times = new double[calls.Length][];
        for (int c = 0; c < calls.Length; c++) times[c] = new double[iters];
        for (int i = 0; i < iters; i++)
        {
            for (int c = 0; c < calls.Length; c++)
            {
                long t0 = Stopwatch.GetTimestamp();
                calls[c]();
                times[c][i] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            }
        }
        var result = new Timing[calls.Length];
        for (int c = 0; c < calls.Length; c++) result[c] = Of(times[c]);
        return result;
    }

    /// <summary>
    /// One timing window for calls too short to time one by one: repeats <paramref name="call"/> until at least
    /// <paramref name="minSeconds"/> have passed; the mean seconds per call.
    /// </summary>
    public static double Window(Action call, double minSeconds)
    {
        ArgumentNullException.ThrowIfNull(call);
        long start = Stopwatch.GetTimestamp();
        int calls = 0;
        double elapsed;
        do
        {
            call();
            calls++;
            elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        while (elapsed < minSeconds);
        return elapsed / calls;
    }

    /// <summary>The statistics of measured <paramref name="seconds"/> (at least one; any unit, the statistics keep it).</summary>
    public static Timing Of(IEnumerable<double> seconds)
    {
        var sorted = seconds.Order().ToArray();
        if (sorted.Length == 0) throw new ArgumentException("no measurements", nameof(seconds));
        return new Timing(sorted[sorted.Length / 2], sorted[0], sorted[^1], sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))]);
    }
}
