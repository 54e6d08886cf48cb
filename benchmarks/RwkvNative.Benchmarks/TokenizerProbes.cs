// Tokenizer measurements BenchmarkDotNet cannot express: the first load in a fresh process (its harness warms a
// method up before timing it), and a quick Stopwatch throughput check (seconds instead of minutes).
using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text;
using RwkvNative.Tokenizer;
using RwkvNative.Benchmarking;

namespace RwkvNative.Benchmarks;

/// <summary>
/// <c>tokenizer-cold-start [runs]</c>: starts this program <c>runs</c> times (default 10), each timing its first
/// <see cref="RwkvTokenizer.Default"/> (resource read, parse, trie build, and the JIT they need), its first encode,
/// and the best of 20 warm loads; prints every run and the medians.
/// <c>tokenizer-throughput [MiB] [repeats]</c>: encodes <see cref="MixedText"/> (seed 42, default 4 MiB)
/// <c>repeats</c> times (default 30) with <see cref="RwkvTokenizer.EncodeTo"/> and prints min/median MB/s.
/// </summary>
public static class TokenizerProbes
{
    /// <summary>Verb of the cold-start probe.</summary>
    public const string ColdStart = "tokenizer-cold-start";

    /// <summary>Verb of the throughput probe.</summary>
    public const string Throughput = "tokenizer-throughput";

    private const string ChildFlag = "--once";

    /// <summary>Runs the probe named by <c>args[0]</c>; false when <c>args[0]</c> names none.</summary>
    public static bool TryRun(string[] args, out int exitCode)
    {
        exitCode = 0;
        if (args.Length == 0) return false;
        switch (args[0])
        {
            case ColdStart when args is [_, ChildFlag]:
                ColdStartOnce();
                return true;
            case ColdStart:
                ColdStartRuns(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10);
                return true;
            case Throughput:
                ThroughputRuns(
                    args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4,
                    args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 30);
                return true;
            default:
                return false;
        }
    }

    private static void ColdStartRuns(int runs)
    {
        string[] names = ["first_load", "of_which_jit", "first_encode_1k", "warm_load_min"];
        var rows = new List<double[]>();
        for (int r = 0; r < runs; r++)
        {
            var line = RunChild();
            Console.WriteLine($"run {r + 1}: {line}");
            rows.Add(names.Select(n => ValueOf(line, n)).ToArray());
        }
        Console.WriteLine("median: " + string.Join(" ", names.Select((n, i) => $"{n}={Timing.Of(rows.Select(r => r[i])).Median:F1}ms")));
    }

    private static double ValueOf(string line, string name)
    {
        var field = line.Split(' ').Single(p => p.StartsWith(name + "=", StringComparison.Ordinal));
        return double.Parse(field[(name.Length + 1)..^2], CultureInfo.InvariantCulture); // strip "ms"
    }

    private static string RunChild()
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        // Under "dotnet app.dll" the process path is the host; pass the assembly too.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(TokenizerProbes).Assembly.Location);
        start.ArgumentList.Add(ColdStart);
        start.ArgumentList.Add(ChildFlag);
        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEnd().Trim();
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"cold-start child failed ({child.ExitCode}): {output}");
        return output;
    }

    private static void ColdStartOnce()
    {
        var jitBefore = JitInfo.GetCompilationTime();
        var clock = Stopwatch.StartNew();
        var tokenizer = RwkvTokenizer.Default;
        double firstLoad = clock.Elapsed.TotalMilliseconds;
        double jit = (JitInfo.GetCompilationTime() - jitBefore).TotalMilliseconds;

        var sample = MixedText.Generate(1024, seed: 1);
        clock.Restart();
        tokenizer.Encode(sample);
        double firstEncode = clock.Elapsed.TotalMilliseconds;

        double warm = double.MaxValue;
        for (int i = 0; i < 20; i++)
        {
            clock.Restart();
            using var stream = typeof(RwkvTokenizer).Assembly.GetManifestResourceStream("RwkvNative.rwkv_vocab_v20230424.txt")!;
            RwkvTokenizer.Load(stream);
            warm = Math.Min(warm, clock.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"first_load={firstLoad:F2}ms of_which_jit={jit:F2}ms first_encode_1k={firstEncode:F2}ms warm_load_min={warm:F2}ms"));
    }

    private static void ThroughputRuns(int mebibytes, int repeats)
    {
        var tokenizer = RwkvTokenizer.Default;
        var utf8 = Encoding.UTF8.GetBytes(MixedText.Generate(mebibytes << 20, TokenizerBenchmarks.Seed));
        var ids = new int[utf8.Length];
        int count = tokenizer.EncodeTo(utf8, ids); // warm-up
        var t = Timing.Measure(() => tokenizer.EncodeTo(utf8, ids), 0, repeats);
        double mb = utf8.Length / 1e6;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"EncodeTo {utf8.Length} bytes -> {count} tokens ({(double)utf8.Length / count:F2} bytes/token), {repeats} runs: " +
            $"best {mb / t.Min:F1} MB/s, median {mb / t.Median:F1} MB/s, worst {mb / t.Max:F1} MB/s"));
    }
}
