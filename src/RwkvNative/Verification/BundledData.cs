namespace RwkvNative.Verification;

/// <summary>
/// The library's own data (src/RwkvNative/Data in the source tree): the tiny random-weight demo model and upstream's
/// reference cases. The build copies it into <see cref="FolderName"/> beside every binary that references the library
/// (and into a published or packaged tool), so it is found the same way in a checkout, a publish folder and a .NET tool.
/// </summary>
public static class BundledData
{
    /// <summary>The folder beside the binary that holds the data.</summary>
    public const string FolderName = "rwkvnative-data";

    /// <summary>Embedding checkpoint of the demo model (L=3, C=128, bf16, random test weights).</summary>
    public const string DemoModelFile = "tiny-bf16.emb.pth";

    /// <summary>Reranker checkpoint paired with <see cref="DemoModelFile"/>.</summary>
    public const string DemoRerankerFile = "tiny-bf16.reranker.pth";

    /// <summary>The data folder beside this process's binary (it may be missing, e.g. in a trimmed deployment).</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, FolderName);

    /// <summary>Whether the data folder is there.</summary>
    public static bool Exists => File.Exists(Path.Combine(Directory, DemoModelFile));

    /// <summary>The full path of bundled file <paramref name="name"/>.</summary>
    /// <exception cref="FileNotFoundException">The file is not beside the binary; the message says where it was looked for.</exception>
    public static string PathOf(string name)
    {
        var path = Path.Combine(Directory, name);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"bundled data file {name} is not in {Directory}: the build copies src/RwkvNative/Data there; rebuild, or pass the file explicitly", path);
        return path;
    }
}
