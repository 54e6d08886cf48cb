using System.Globalization;
using System.Runtime.InteropServices;

namespace RwkvNative.Cuda.Interop;

/// <summary>
/// What the backend requires of the NVRTC it loaded: major version 12 or newer, and its <c>libnvrtc-builtins</c>
/// companion, which NVRTC opens by name when it compiles; when NVRTC itself came from an absolute path (RWKV_NVRTC or a
/// toolkit folder) that folder is usually not on the loader's search path, so the companion is loaded from there first.
/// </summary>
internal static class NvrtcLibrary
{
    /// <summary>Oldest NVRTC major version accepted.</summary>
    public const int MinimumMajor = 12;

    /// <summary>
    /// Throws unless NVRTC <paramref name="major"/>.<paramref name="minor"/> is new enough. NVRTC 11.8's built-in ptxas
    /// crashes the process (SIGSEGV, no error code) on these kernels for sm_90, so an older one is refused up front.
    /// </summary>
    /// <param name="major">nvrtcVersion's major number.</param>
    /// <param name="minor">nvrtcVersion's minor number.</param>
    /// <param name="path">The file that was loaded, named in the message.</param>
    public static void RequireSupported(int major, int minor, string path)
    {
        if (major >= MinimumMajor) return;
        throw new CudaLibraryNotFoundException(
            $"the NVRTC loaded from {path} is version {major}.{minor}; this backend needs NVRTC {MinimumMajor} or newer " +
            $"(NVRTC 11.x's built-in ptxas crashes on these kernels). To fix: install the CUDA 12 or 13 runtime compiler " +
            "(package cuda-nvrtc-12-x or cuda-nvrtc-13-x from NVIDIA's CUDA repository, or the nvidia-cuda-nvrtc-cu12 wheel's " +
            "lib folder) and set RWKV_NVRTC to its libnvrtc.so.12 / libnvrtc.so.13 (nvrtc64_120_0.dll on Windows) if it is not found by itself.");
    }

    /// <summary>
    /// The <c>libnvrtc-builtins</c> file next to <paramref name="nvrtcPath"/> for NVRTC
    /// <paramref name="major"/>.<paramref name="minor"/>, or null when that folder has none. Exact version first, then
    /// any of the same major version.
    /// </summary>
    public static string? FindBuiltins(string nvrtcPath, int major, int minor)
    {
        var dir = Path.GetDirectoryName(nvrtcPath);
        if (string.IsNullOrEmpty(dir) || !Directory.Exists(dir)) return null;
        string exact, pattern;
        if (OperatingSystem.IsWindows())
        {
            exact = string.Create(CultureInfo.InvariantCulture, $"nvrtc-builtins64_{major}{minor}.dll");
            pattern = string.Create(CultureInfo.InvariantCulture, $"nvrtc-builtins64_{major}*.dll");
        }
        else
        {
            exact = string.Create(CultureInfo.InvariantCulture, $"libnvrtc-builtins.so.{major}.{minor}");
            pattern = string.Create(CultureInfo.InvariantCulture, $"libnvrtc-builtins.so.{major}.*");
        }
        var candidate = Path.Combine(dir, exact);
        if (File.Exists(candidate)) return candidate;
        return Directory.EnumerateFiles(dir, pattern).Order(StringComparer.Ordinal).LastOrDefault();
    }

    /// <summary>
    /// Loads the builtins companion of the NVRTC at <paramref name="nvrtcPath"/> from its own folder, so NVRTC's later
    /// open by name finds it already loaded. Returns the file loaded, or null when that folder has none (NVRTC then
    /// searches the loader's path itself, as it does when it was found there).
    /// </summary>
    public static string? PreloadBuiltins(string nvrtcPath, int major, int minor)
    {
        var builtins = FindBuiltins(nvrtcPath, major, minor);
        if (builtins == null) return null;
        if (!NativeLibrary.TryLoad(builtins, out _))
            throw new CudaLibraryNotFoundException(
                $"NVRTC {major}.{minor} ({nvrtcPath}) needs {builtins}, which exists but cannot be loaded. To fix: reinstall the CUDA runtime compiler package so that both files come from one release.");
        return builtins;
    }
}
