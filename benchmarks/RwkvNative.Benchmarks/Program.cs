using BenchmarkDotNet.Running;

namespace RwkvNative.Benchmarks;

/// <summary>
/// Runs any benchmark class in this assembly (<c>--filter '*Tokenizer*'</c>, <c>--list flat</c>, ...), or one of the
/// probes that BenchmarkDotNet cannot express (<c>cold-start</c>: first call in a fresh process).
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == ColdStartProbe.Command) return ColdStartProbe.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
