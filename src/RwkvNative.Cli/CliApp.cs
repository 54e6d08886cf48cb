using System.CommandLine;
using RwkvNative.Cli.Commands;

namespace RwkvNative.Cli;

/// <summary>Builds the command tree and maps failures to the contract's exit codes (0 ok, 2 bad usage/input, 1 other).</summary>
internal static class CliApp
{
    public static int Run(string[] args)
    {
        // The CUDA provider only records itself here; nothing native is loaded until a device is asked for.
        RwkvNative.Cuda.CudaBackendProvider.Register();
        var root = new RootCommand("rwkv-emb: EmbeddingRWKV embeddings and state-based reranking (RwkvNative)");
        root.Subcommands.Add(TokenizeCommand.Create());
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(EmbedCommand.Create());
        root.Subcommands.Add(RerankCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(IndexCommand.Create());
        root.Subcommands.Add(SearchCommand.Create());
        root.Subcommands.Add(HealthCommand.Create());
        root.Subcommands.Add(StoreCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Options.Add(CommonOptions.Threads);
        root.Options.Add(PrecisionOption.Option);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // Every parse error, on one line (System.CommandLine's own messages may span several).
            var messages = parsed.Errors.Select(e => string.Join(' ', e.Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
                .Distinct(StringComparer.Ordinal);
            Console.Error.WriteLine($"error: {string.Join("; ", messages)} (see rwkv-emb --help)");
            return ExitCodes.BadInput;
        }
        int threads = parsed.GetValue(CommonOptions.Threads);
        if (threads < 1)
        {
            Console.Error.WriteLine($"error: --threads must be at least 1, got {threads}");
            return ExitCodes.BadInput;
        }
        RwkvNative.Cpu.CpuBackendProvider.Register(new RwkvNative.Cpu.CpuBackendOptions { Threads = threads });
        try
        {
            CommonOptions.SelectedPrecision = PrecisionOption.Parse(parsed.GetValue(PrecisionOption.Option)!);
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return Errors.Report(e);
        }
    }
}
