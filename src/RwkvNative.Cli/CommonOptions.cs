using System.CommandLine;
using RwkvNative.Model;
using RwkvNative.Verification;

namespace RwkvNative.Cli;

/// <summary>Options shared by several commands, defined once.</summary>
internal static class CommonOptions
{
    /// <summary>
    /// <c>--threads N</c> on every command (default: all cores): <see cref="RwkvNative.Cpu.CpuBackendOptions.Threads"/> of the CPU backend the command registers.
    /// </summary>
    public static readonly Option<int> Threads = new("--threads")
    {
        Description = "CPU threads for the CPU backend (default: all cores)",
        DefaultValueFactory = _ => Environment.ProcessorCount,
        Recursive = true,
    };

    /// <summary>The process-wide <c>--precision</c> (set once from the command line before a command runs).</summary>
    public static Precision SelectedPrecision { get; set; } = Precision.Float32;

    public static Option<string> Model(bool required = true) => new("--model", "-m")
    {
        Description = "embedding checkpoint (.pth or .safetensors)",
        Required = required,
    };

    public static Option<string> Reranker(bool required) => new("--reranker", "-r")
    {
        Description = "reranker checkpoint paired with the model",
        Required = required,
    };

    public static Option<string> Device() => new("--device", "-d")
    {
        Description = "auto|cpu|cuda|cuda:N (auto: CUDA when usable, else CPU)",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<int> BatchSize(int dflt) => new("--batch-size", "-b")
    {
        Description = "lines per batch (results do not depend on it)",
        DefaultValueFactory = _ => dflt,
    };

    /// <summary><c>--placement auto|device|host</c>: where offline reranking keeps the documents' states (<see cref="StatePlacement"/>).</summary>
    public static Option<string> Placement(string description)
    {
        var o = new Option<string>("--placement") { Description = description, DefaultValueFactory = _ => "auto" };
        // Validated here (not AcceptOnlyFromAmong) so every command that takes it refuses a bad value with the same message.
        o.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value is not ("auto" or "device" or "host"))
                result.AddError($"--placement must be auto, device or host, got '{value}'");
        });
        return o;
    }

    /// <summary>The value of <see cref="Placement"/>.</summary>
    public static StatePlacement ParsePlacement(string value) => value switch
    {
        "auto" => StatePlacement.Auto,
        "device" => StatePlacement.Device,
        "host" => StatePlacement.Host,
        _ => throw new InputException($"--placement must be auto, device or host, got '{value}'"),
    };

    /// <summary>Loads a model (in <paramref name="precision"/>, default the process-wide --precision), reporting the device choice on standard error.</summary>
    public static EmbeddingModel LoadModel(string path, string device, int? maxBatchTokens = null, TextEncoding? encoding = null, Precision? precision = null)
    {
        RequireFile(path, "model");
        var options = new ModelOptions { Device = device, Precision = precision ?? SelectedPrecision, Log = m => Console.Error.WriteLine(m) };
        if (maxBatchTokens is { } n) options = options with { MaxBatchTokens = n };
        if (encoding != null) options = options with { Encoding = encoding };
        var model = EmbeddingModel.Load(path, options);
        return model;
    }

    /// <summary><c>--query/-q</c> of the commands that score documents against a query (rerank, search).</summary>
    public static Option<string> Query() => new("--query", "-q") { Description = "the query", Required = true };

    /// <summary>Refuses a query the tokenizer cannot encode (text that is not valid Unicode) as bad input, before any scoring.</summary>
    public static void RequireEncodableQuery(EmbeddingModel model, string query)
    {
        try { model.Tokenizer.Encode(query); }
        catch (ArgumentException e) { throw new InputException("--query: " + e.Message); }
    }

    public static Reranker LoadReranker(string path, EmbeddingModel model)
    {
        RequireFile(path, "reranker");
        return RwkvNative.Reranker.Load(path, model);
    }

    /// <summary>
    /// Refuses a <paramref name="what"/> path (model, reranker, checkpoint) that is missing or a folder, in words; a
    /// folder's message lists the checkpoints inside it.
    /// </summary>
    public static void RequireFile(string path, string what)
    {
        if (Directory.Exists(path))
        {
            var inside = Directory.EnumerateFiles(path).Where(f => f.EndsWith(".pth", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                .Select(Path.GetFileName).Order(StringComparer.Ordinal).Take(5).ToArray();
            throw new InputException($"{what} {path} is a folder, not a checkpoint file: give the .pth or .safetensors file itself" +
                (inside.Length > 0 ? $" (inside it: {string.Join(", ", inside)})" : " (it holds no .pth or .safetensors file)"));
        }
        if (!File.Exists(path)) throw new InputException($"{what} file not found: {path}");
    }

    /// <summary>Refuses a store path that names a file: a store is a folder (created when missing).</summary>
    public static void RequireStoreFolder(string path, string option)
    {
        if (File.Exists(path)) throw new InputException($"{option} {path} is a file: a store is a folder (made by 'rwkv-emb index'); name a folder");
    }

    /// <summary>The bundled demo model (<see cref="BundledData"/>, beside the binary).</summary>
    public static (string Model, string Reranker) BundledModel()
    {
        if (!BundledData.Exists)
            throw new InputException($"the bundled model ({BundledData.DemoModelFile}) is not in {BundledData.Directory}; pass --model/--reranker");
        return (BundledData.PathOf(BundledData.DemoModelFile), BundledData.PathOf(BundledData.DemoRerankerFile));
    }
}
