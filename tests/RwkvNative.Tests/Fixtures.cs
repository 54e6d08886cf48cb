using System.Runtime.CompilerServices;
using RwkvNative.Verification;

namespace RwkvNative.Tests;

/// <summary>
/// The test data: the library's bundled data folder beside the test binary (<see cref="BundledData"/>: models, reference
/// cases, tokenizer cases), and the repository root for tests that read sources (kernels, scripts).
/// </summary>
internal static class Fixtures
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "RwkvNative.sln"))) return d.FullName;
        var fromSource = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(SourceFile())!, "..", ".."));
        if (File.Exists(Path.Combine(fromSource, "RwkvNative.sln"))) return fromSource;
        throw new DirectoryNotFoundException("the repository root (RwkvNative.sln) was not found above " + AppContext.BaseDirectory);
    });

    private static string SourceFile([CallerFilePath] string path = "") => path;

    /// <summary>The bundled data folder (fails, saying where it looked, when the build did not copy it).</summary>
    public static string Directory => BundledData.Exists ? BundledData.Directory
        : throw new DirectoryNotFoundException($"{BundledData.Directory} is missing: the build copies src/RwkvNative/Data there");

    /// <summary>A file of the bundled data folder.</summary>
    public static string PathOf(string name) => BundledData.PathOf(name);

    /// <summary>The repository root (the folder holding RwkvNative.sln).</summary>
    public static string RepositoryRoot => Root.Value;
}
