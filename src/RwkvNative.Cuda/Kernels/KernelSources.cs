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

    /// <summary>The text of an embedded file, e.g. <c>wkv7.cu</c> or <c>common.cuh</c>.</summary>
    public static string Read(string file)
    {
        using var stream = typeof(KernelSources).Assembly.GetManifestResourceStream(Prefix + file)
            ?? throw new InvalidOperationException($"kernel source {file} is not embedded in {typeof(KernelSources).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
