using System.Runtime.CompilerServices;

namespace RwkvNative.Tests;

/// <summary>Finds the repository's tests/fixtures folder (from the binary's location, else from this source file's).</summary>
internal static class Fixtures
{
    private static readonly Lazy<string> Dir = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "fixtures");
            if (File.Exists(Path.Combine(candidate, "tokenizer.cases.jsonl"))) return candidate;
        }
        var fromSource = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(SourceFile())!, "..", "fixtures"));
        if (File.Exists(Path.Combine(fromSource, "tokenizer.cases.jsonl"))) return fromSource;
        throw new DirectoryNotFoundException("tests/fixtures not found above " + AppContext.BaseDirectory);
    });

    private static string SourceFile([CallerFilePath] string path = "") => path;

    public static string Directory => Dir.Value;
    public static string PathOf(string name) => Path.Combine(Dir.Value, name);
}
