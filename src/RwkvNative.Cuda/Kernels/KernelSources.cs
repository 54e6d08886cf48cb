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

    /// <summary>The one file of NVRTC options and model defines, shared with the native harness, the emulator and the CI checks (kernels/nvrtc.options).</summary>
    public const string OptionsFile = "nvrtc.options";

    /// <summary>Option for profiler line tables, added only when asked for (<c>RWKV_CUDA_LINEINFO=1</c>).</summary>
    public const string LineInfoOption = "--generate-line-info";

    /// <summary>The options of <see cref="OptionsFile"/>: one per line, blank lines and '#' comments skipped.</summary>
    public static IReadOnlyList<string> CompilerOptions { get; } = CheckedOptions(ParseOptions(Read(OptionsFile)));

    /// <summary>The <c>-D</c> lines of <see cref="OptionsFile"/>: the model constants.</summary>
    public static IReadOnlyList<string> ModelDefines(IReadOnlyList<string> options) =>
        options.Where(o => o.StartsWith("-D", StringComparison.Ordinal)).ToArray();

    // A build whose kernels/nvrtc.options disagrees with ModelSchema would compute another model: refuse it.
    private static IReadOnlyList<string> CheckedOptions(IReadOnlyList<string> options)
    {
        var defines = ModelDefines(options);
        if (!defines.SequenceEqual(KernelDefines.Options))
            throw new InvalidOperationException($"kernels/{OptionsFile} defines [{string.Join(' ', defines)}] but ModelSchema " +
                $"gives [{string.Join(' ', KernelDefines.Options)}]: update the -D lines of kernels/{OptionsFile}");
        return options;
    }

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
