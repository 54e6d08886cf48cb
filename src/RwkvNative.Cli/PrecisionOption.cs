using System.CommandLine;

namespace RwkvNative.Cli;

/// <summary>
/// <c>--precision fp32|int8</c> (CLI.md) on every command (like <c>--threads</c>): the arithmetic of the CPU backend's linear
/// layers for every model the process loads. int8 is opt-in and CPU-only.
/// </summary>
internal static class PrecisionOption
{
    public static readonly Option<string> Option = new("--precision")
    {
        Description = "fp32 (default) or int8 (CPU only: int8 weights and activations in the large matrices, ~2x faster prefill)",
        DefaultValueFactory = _ => "fp32",
        Recursive = true,
    };

    /// <summary>The precision a <c>--precision</c> value names.</summary>
    public static Precision Parse(string text) => text.ToLowerInvariant() switch
    {
        "float32" or "fp32" => Precision.Float32,
        "int8" => Precision.Int8,
        _ => throw new InputException($"--precision must be fp32 or int8, got '{text}'"),
    };

    /// <summary>The CLI spelling of <paramref name="precision"/>.</summary>
    public static string Name(Precision precision) => precision == Precision.Int8 ? "int8" : "fp32";
}
