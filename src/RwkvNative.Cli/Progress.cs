namespace RwkvNative.Cli;

/// <summary>A progress line on standard error, shown only when it is a terminal.</summary>
internal sealed class Progress(string what)
{
    private readonly bool _enabled = !Console.IsErrorRedirected;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private long _lastTick;

    public void Report(int done, int tokens)
    {
        if (!_enabled) return;
        long now = _clock.ElapsedMilliseconds;
        if (now - _lastTick < 200) return;
        _lastTick = now;
        double s = Math.Max(now / 1000.0, 1e-3);
        Console.Error.Write($"\r{what}: {done} lines, {tokens / s:F0} tokens/s   ");
    }

    public void Done(int done, int tokens)
    {
        if (!_enabled || done == 0) return;
        double s = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
        Console.Error.WriteLine($"\r{what}: {done} lines in {s:F1} s ({tokens / s:F0} tokens/s)   ");
    }
}
