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

    /// <summary>The statistics of measured <paramref name="seconds"/> (at least one).</summary>
    public static Timing Of(IEnumerable<double> seconds)
    {
        var sorted = seconds.Order().ToArray();
        if (sorted.Length == 0) throw new ArgumentException("no measurements", nameof(seconds));
        return new Timing(sorted[sorted.Length / 2], sorted[0], sorted[^1], sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))]);
    }
}
