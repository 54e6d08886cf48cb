using System.Reflection;
using System.Runtime.InteropServices;

namespace RwkvNative.Cuda.Interop;

/// <summary>
/// Loads the CUDA driver, NVRTC and cuBLAS by trying candidate names, and resolves the logical names of this
/// assembly's <c>[LibraryImport]</c> declarations to the handles loaded. Nothing is loaded until first asked,
/// so a host without CUDA never touches these libraries.
/// </summary>
internal static class NativeLibraryLoader
{
    internal const string DriverName = "rwkvnative-cuda-driver";
    internal const string NvrtcName = "rwkvnative-nvrtc";
    internal const string CublasName = "rwkvnative-cublas";

    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, nint> Loaded = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, string> LoadedAs = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, string> Failed = new(StringComparer.Ordinal);
    private static bool resolverInstalled;

    /// <summary>The CUDA driver API library.</summary>
    public static NativeLibrarySpec Driver { get; } = new(DriverName, "CUDA driver (libcuda)", "RWKV_CUDA_DRIVER",
        OperatingSystem.IsWindows()
            ? ["nvcuda.dll"]
            : ["libcuda.so.1", "libcuda.so", "/usr/lib/wsl/lib/libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1"],
        "install the NVIDIA driver (nvidia-smi must work), or set RWKV_CUDA_DRIVER to the full path of libcuda");

    /// <summary>NVRTC, ordered so that a major version the driver can run comes first.</summary>
    /// <param name="driverVersion">From cuDriverGetVersion (e.g. 12080 for 12.8); 0 when unknown.</param>
    public static NativeLibrarySpec Nvrtc(int driverVersion) => new(NvrtcName, "NVRTC (libnvrtc)", "RWKV_NVRTC",
        Versioned(driverVersion, "nvrtc64_{0}0_0.dll", "libnvrtc.so"),
        "install the CUDA runtime compiler (package cuda-nvrtc-12-x or -13-x), or set RWKV_NVRTC to the full path of libnvrtc");

    /// <summary>cuBLAS, ordered so that a major version the driver can run comes first.</summary>
    /// <param name="driverVersion">From cuDriverGetVersion; 0 when unknown.</param>
    public static NativeLibrarySpec Cublas(int driverVersion) => new(CublasName, "cuBLAS (libcublas)", "RWKV_CUBLAS",
        Versioned(driverVersion, "cublas64_{0}.dll", "libcublas.so"),
        "install cuBLAS (package libcublas-12-x or -13-x), or set RWKV_CUBLAS to the full path of libcublas");

    // CUDA 13 libraries need a CUDA 13 driver, so a 12.x driver gets the 12 names first. Names found by the loader's
    // search path come before the toolkit's own directories. Only versioned names: the bare libnvrtc.so/libcublas.so is
    // a development symlink that on Debian/Ubuntu often points at 11.x (NVRTC < 12 is refused anyway, see NvrtcLibrary).
    private static string[] Versioned(int driverVersion, string windowsPattern, string linuxStem)
    {
        int[] majors = driverVersion is > 0 and < 13000 ? [12, 13] : [13, 12];
        string Name(int major) => OperatingSystem.IsWindows() ? string.Format(null, windowsPattern, major) : $"{linuxStem}.{major}";
        var list = new List<string>();
        foreach (var v in majors) list.Add(Name(v));
        foreach (var dir in ToolkitDirectories())
            foreach (var v in majors)
                list.Add(Path.Combine(dir, Name(v)));
        return list.ToArray();
    }

    private static IEnumerable<string> ToolkitDirectories()
    {
        foreach (var env in new[] { "CUDA_PATH", "CUDA_HOME" })
        {
            var root = Environment.GetEnvironmentVariable(env);
            if (string.IsNullOrEmpty(root)) continue;
            if (OperatingSystem.IsWindows())
            {
                yield return Path.Combine(root, "bin");
                yield return Path.Combine(root, "bin", "x64");
            }
            else
            {
                yield return Path.Combine(root, "lib64");
            }
        }
        if (!OperatingSystem.IsWindows())
        {
            yield return "/usr/local/cuda/lib64";
            yield return "/usr/local/cuda/targets/x86_64-linux/lib";
        }
    }

    /// <summary>Loads <paramref name="spec"/> (once per process) or throws a message listing every attempt.</summary>
    public static void EnsureLoaded(NativeLibrarySpec spec)
    {
        if (!TryEnsureLoaded(spec, out var report)) throw new CudaLibraryNotFoundException(report);
    }

    /// <summary>Loads <paramref name="spec"/> (once per process); on failure <paramref name="report"/> lists every attempt.</summary>
    public static bool TryEnsureLoaded(NativeLibrarySpec spec, out string report)
    {
        lock (Gate)
        {
            InstallResolver();
            if (Loaded.ContainsKey(spec.LogicalName)) { report = ""; return true; }
            if (Failed.TryGetValue(spec.LogicalName, out var failure)) { report = failure; return false; }
            if (TryLoad(spec, Environment.GetEnvironmentVariable(spec.EnvironmentVariable), out var handle, out report, out var name))
            {
                Loaded[spec.LogicalName] = handle;
                LoadedAs[spec.LogicalName] = name;
                return true;
            }
            Failed[spec.LogicalName] = report;
            return false;
        }
    }

    /// <summary>
    /// Tries <paramref name="spec"/>'s candidates (only <paramref name="overridePath"/> when it is set: a path the user
    /// named explicitly must not be silently replaced by another library). Does not touch the process-wide cache.
    /// </summary>
    public static bool TryLoad(NativeLibrarySpec spec, string? overridePath, out nint handle, out string report) =>
        TryLoad(spec, overridePath, out handle, out report, out _);

    private static bool TryLoad(NativeLibrarySpec spec, string? overridePath, out nint handle, out string report, out string loadedName)
    {
        var candidates = string.IsNullOrWhiteSpace(overridePath) ? spec.Candidates : [overridePath];
        var reasons = new List<string>(candidates.Count);
        foreach (var name in candidates)
        {
            try
            {
                handle = NativeLibrary.Load(name);
                report = "";
                loadedName = name;
                return true;
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                reasons.Add($"  {name}: {Reason(name, e.Message)}");
            }
        }
        handle = 0;
        loadedName = "";
        var how = string.IsNullOrWhiteSpace(overridePath)
            ? $"tried {candidates.Count} names ({spec.EnvironmentVariable} is not set)"
            : $"tried only {spec.EnvironmentVariable}={overridePath}";
        report = $"could not load the {spec.Description}: {how}:{Environment.NewLine}{string.Join(Environment.NewLine, reasons)}{Environment.NewLine}To fix: {spec.Remedy}.";
        return false;
    }

    /// <summary>
    /// The file <paramref name="spec"/> was loaded from (the module that holds <paramref name="export"/>), or the name it
    /// was loaded by when the file cannot be found out. Throws when it is not loaded.
    /// </summary>
    public static string PathOf(NativeLibrarySpec spec, string export)
    {
        nint handle;
        string name;
        lock (Gate)
        {
            if (!Loaded.TryGetValue(spec.LogicalName, out handle)) throw new InvalidOperationException($"the {spec.Description} is not loaded");
            name = LoadedAs[spec.LogicalName];
        }
        return LibraryFile.Containing(handle, export) ?? name;
    }

    // .NET's message starts with generic advice; the loader's own words (dlopen's error on Linux) follow on later lines,
    // usually prefixed with the file name again.
    internal static string Reason(string name, string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0) return "not loadable";
        var details = lines.Length > 1 ? lines[1..] : lines;
        for (int i = 0; i < details.Length; i++)
            if (details[i].StartsWith(name + ": ", StringComparison.Ordinal)) details[i] = details[i][(name.Length + 2)..];
        return string.Join("; ", details.Distinct());
    }

    private static void InstallResolver()
    {
        if (resolverInstalled) return;
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
        resolverInstalled = true;
    }

    // Returns 0 for names not loaded yet, so the runtime reports DllNotFoundException for the logical name; callers
    // always go through EnsureLoaded first, which produces the useful message.
    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        lock (Gate) return Loaded.GetValueOrDefault(libraryName);
    }
}
