using System.CommandLine;

namespace RwkvNative.Cli;

/// <summary>Options shared by several commands, defined once.</summary>
internal static class CommonOptions
{
    /// <summary>
    /// <c>--threads N</c> on every command (default: all cores): the CPU backend's thread limit for the whole process.
    /// </summary>
    public static readonly Option<int> Threads = new("--threads")
    {
        Description = "CPU threads for the CPU backend (default: all cores)",
        DefaultValueFactory = _ => Environment.ProcessorCount,
        Recursive = true,
    };

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

    /// <summary>Loads a model, reporting the device choice on standard error.</summary>
    public static EmbeddingModel LoadModel(string path, string device, int? maxBatchTokens = null, TextEncoding? encoding = null)
    {
        if (!File.Exists(path)) throw new InputException($"model file not found: {path}");
        var options = new ModelOptions { Device = device, Log = m => Console.Error.WriteLine(m) };
        if (maxBatchTokens is { } n) options = options with { MaxBatchTokens = n };
        if (encoding != null) options = options with { Encoding = encoding };
        var model = EmbeddingModel.Load(path, options);
        return model;
    }

    public static Reranker LoadReranker(string path, EmbeddingModel model)
    {
        if (!File.Exists(path)) throw new InputException($"reranker file not found: {path}");
        return RwkvNative.Reranker.Load(path, model);
    }

    /// <summary>The bundled demo model: models/ beside the binary, else tests/fixtures in a source checkout.</summary>
    public static (string Model, string Reranker) BundledModel()
    {
        const string emb = "tiny-bf16.emb.pth", rr = "tiny-bf16.reranker.pth";
        var beside = Path.Combine(AppContext.BaseDirectory, "models");
        if (File.Exists(Path.Combine(beside, emb))) return (Path.Combine(beside, emb), Path.Combine(beside, rr));
        var fixtures = FindFixtures();
        if (fixtures != null && File.Exists(Path.Combine(fixtures, emb))) return (Path.Combine(fixtures, emb), Path.Combine(fixtures, rr));
        throw new InputException($"the bundled model ({emb}) is not beside the binary (models/) nor under tests/fixtures; pass --model/--reranker");
    }

    /// <summary>The repository's tests/fixtures folder, searched above the binary and above the working directory; null if none.</summary>
    public static string? FindFixtures()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
            {
                var f = Path.Combine(d.FullName, "tests", "fixtures");
                if (Directory.Exists(f)) return f;
            }
        return null;
    }
}
