using System.Reflection;

namespace RwkvNative.Cuda.Kernels;

/// <summary>The kernel sources embedded in this assembly (kernels/*.cu and the headers they include).</summary>
internal static class KernelSources
{
    private const string Prefix = "RwkvNative.Cuda.kernels.";

    /// <summary>The header every kernel includes as <c>#include "common.cuh"</c>.</summary>
    public const string CommonHeader = "common.cuh";

    /// <summary>File names of every embedded kernel source (*.cu), sorted.</summary>
    public static IReadOnlyList<string> KernelFiles { get; } = typeof(KernelSources).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".cu", StringComparison.Ordinal))
        .Select(n => n[Prefix.Length..])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>The file of NVRTC options shared with the native harness and the CI check (kernels/nvrtc.options).</summary>
    public const string OptionsFile = "nvrtc.options";

    /// <summary>Option for profiler line tables, added only when asked for (<c>RWKV_CUDA_LINEINFO=1</c>).</summary>
    public const string LineInfoOption = "--generate-line-info";

    /// <summary>The options of <see cref="OptionsFile"/>: one per line, blank lines and '#' comments skipped.</summary>
    public static IReadOnlyList<string> CompilerOptions { get; } = ParseOptions(Read(OptionsFile));

    /// <summary>Splits an options file into its options.</summary>
    public static IReadOnlyList<string> ParseOptions(string text) => text.Split('\n')
        .Select(line => (line.IndexOf('#', StringComparison.Ordinal) is var hash and >= 0 ? line[..hash] : line).Trim())
        .Where(line => line.Length > 0)
        .ToArray();

    /// <summary>The text of an embedded file, e.g. <c>wkv7.cu</c> or <c>common.cuh</c>.</summary>
    public static string Read(string file)
    {
        using var stream = typeof(KernelSources).Assembly.GetManifestResourceStream(Prefix + file)
            ?? throw new InvalidOperationException($"kernel source {file} is not embedded in {typeof(KernelSources).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
