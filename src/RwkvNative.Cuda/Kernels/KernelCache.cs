using System.Security.Cryptography;
using System.Text;

namespace RwkvNative.Cuda.Kernels;

/// <summary>
/// On-disk cache of compiled kernels. The key hashes everything that changes the binary: source and headers,
/// NVRTC options (which name the target architecture), the device's compute capability and the NVRTC version.
/// Files are written to a temporary name and renamed, so a concurrent reader never sees half a file.
/// </summary>
internal sealed class KernelCache
{
    /// <summary>Uses <paramref name="directory"/>; null disables caching.</summary>
    public KernelCache(string? directory) => Directory = directory;

    /// <summary>The cache folder, or null when caching is off.</summary>
    public string? Directory { get; }

    /// <summary>
    /// The default folder: <c>RWKV_KERNEL_CACHE</c> if set (empty or <c>off</c> disables caching), else
    /// <c>$XDG_CACHE_HOME/rwkvnative/kernels</c>, else <c>~/.cache/rwkvnative/kernels</c> (LocalApplicationData on Windows).
    /// </summary>
    public static string? DefaultDirectory()
    {
        var env = Environment.GetEnvironmentVariable("RWKV_KERNEL_CACHE");
        if (env != null)
            return env.Length == 0 || env.Equals("off", StringComparison.OrdinalIgnoreCase) ? null : env;
        if (OperatingSystem.IsWindows())
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "rwkvnative", "kernels");
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg)) return Path.Combine(xdg, "rwkvnative", "kernels");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache", "rwkvnative", "kernels");
    }

    /// <summary>File name for one compiled kernel file: <c>{stem}-{target}-{hash}.{cubin|ptx}</c>.</summary>
    public static string FileName(string sourceName, string source, IReadOnlyList<(string Name, string Text)> headers,
        IReadOnlyList<string> options, int computeCapability, string nvrtcVersion, bool ptx)
    {
        var text = new StringBuilder();
        text.Append("rwkvnative-kernel-cache-v1\n");
        text.Append(sourceName).Append('\n').Append(source).Append('\n');
        foreach (var (name, body) in headers) text.Append(name).Append('\n').Append(body).Append('\n');
        foreach (var o in options) text.Append(o).Append('\n');
        text.Append("cc=").Append(computeCapability).Append('\n');
        text.Append("nvrtc=").Append(nvrtcVersion).Append('\n');
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..24];
        return $"{Path.GetFileNameWithoutExtension(sourceName)}-sm{computeCapability}-{hash}.{(ptx ? "ptx" : "cubin")}";
    }

    /// <summary>The cached bytes of <paramref name="fileName"/>, or null.</summary>
    public byte[]? TryRead(string fileName)
    {
        if (Directory == null) return null;
        try
        {
            var path = Path.Combine(Directory, fileName);
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Stores <paramref name="image"/> atomically; returns why not when the folder cannot be written.</summary>
    public string? TryWrite(string fileName, ReadOnlySpan<byte> image)
    {
        if (Directory == null) return "kernel cache disabled";
        string? temp = null;
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            temp = Path.Combine(Directory, $".{fileName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                f.Write(image);
            File.Move(temp, Path.Combine(Directory, fileName), overwrite: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (temp != null) try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            return $"kernel cache {Directory} not writable: {e.Message}";
        }
    }

    /// <summary>Removes a cached file that turned out to be unloadable.</summary>
    public void Remove(string fileName)
    {
        if (Directory == null) return;
        try { File.Delete(Path.Combine(Directory, fileName)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
