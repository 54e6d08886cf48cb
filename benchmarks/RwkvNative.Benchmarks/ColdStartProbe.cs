// Cold start: the first RwkvTokenizer.Default in a fresh process (JIT, resource read, parse, trie build), which
// BenchmarkDotNet cannot isolate because its harness warms the method up first.
using System.Diagnostics;
using System.Globalization;
using RwkvNative.Tokenizer;

namespace RwkvNative.Benchmarks;

/// <summary>
/// <c>cold-start [runs]</c>: starts this program <c>runs</c> times (default 10) with <c>cold-start --once</c> and prints
/// each fresh process's first-load, first-encode and warm-load times, then the medians.
/// </summary>
public static class ColdStartProbe
{
    /// <summary>The command-line verb.</summary>
    public const string Command = "cold-start";

    /// <summary>Runs the probe; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        if (args is ["--once"]) return Once();
        int runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var rows = new List<double[]>();
        for (int r = 0; r < runs; r++)
        {
            var line = RunChild();
            Console.WriteLine($"run {r + 1}: {line}");
            rows.Add(line.Split(' ').Where(p => p.Contains('=')).Select(p => double.Parse(p[(p.IndexOf('=') + 1)..].TrimEnd('m', 's'), CultureInfo.InvariantCulture)).ToArray());
        }
        var names = new[] { "first_load", "of_which_jit", "first_encode_1k", "warm_load_min" };
        Console.WriteLine("median: " + string.Join(" ", names.Select((n, i) => $"{n}={Median(rows.Select(r => r[i])):F1}ms")));
        return 0;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string RunChild()
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        // Under "dotnet app.dll" the process path is the host; pass the assembly too.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(ColdStartProbe).Assembly.Location);
        start.ArgumentList.Add(Command);
        start.ArgumentList.Add("--once");
        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEnd().Trim();
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"cold-start child failed ({child.ExitCode}): {output}");
        return output;
    }

    private static int Once()
    {
        var jitBefore = System.Runtime.JitInfo.GetCompilationTime();
        var clock = Stopwatch.StartNew();
        var tokenizer = RwkvTokenizer.Default;
        double firstLoad = clock.Elapsed.TotalMilliseconds;
        double jit = (System.Runtime.JitInfo.GetCompilationTime() - jitBefore).TotalMilliseconds;

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
        return 0;
    }
}
