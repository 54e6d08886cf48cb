using BenchmarkDotNet.Running;

namespace RwkvNative.Benchmarks;

/// <summary>
/// Runs any benchmark class in this assembly (<c>--filter '*Tokenizer*'</c>, <c>--list flat</c>, ...), or one of the
/// Stopwatch probes for what BenchmarkDotNet cannot express (see <see cref="TokenizerProbes"/>).
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        if (TokenizerProbes.TryRun(args, out int exitCode)) return exitCode;
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
