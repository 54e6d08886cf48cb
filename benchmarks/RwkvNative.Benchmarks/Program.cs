using BenchmarkDotNet.Running;

namespace RwkvNative.Benchmarks;

/// <summary>
/// Runs any benchmark class in this assembly (<c>--filter '*Tokenizer*'</c>, <c>--list flat</c>, ...), or one of the
/// Stopwatch probes for what BenchmarkDotNet cannot express (see <see cref="TokenizerProbes"/>), or the
/// GEMM-vs-OpenBLAS comparison (<c>gemm-vs-openblas</c>, see <see cref="GemmVsOpenBlas"/>).
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        if (TokenizerProbes.TryRun(args, out int exitCode)) return exitCode;
        if (args.Length > 0 && args[0] == GemmVsOpenBlas.Command) return GemmVsOpenBlas.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
