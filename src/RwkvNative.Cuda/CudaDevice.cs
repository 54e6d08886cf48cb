using System.Text;
using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda;

/// <summary>Facts about one CUDA device, read through the driver API.</summary>
/// <param name="Ordinal">Index as in <c>cuda:N</c>.</param>
/// <param name="Name">Marketing name, e.g. "NVIDIA H100 80GB HBM3".</param>
/// <param name="ComputeCapability">major*10 + minor, e.g. 90.</param>
/// <param name="Multiprocessors">Streaming multiprocessors.</param>
/// <param name="TotalMemory">Bytes of device memory.</param>
/// <param name="DriverVersion">cuDriverGetVersion, e.g. 13000 for CUDA 13.0.</param>
public sealed record CudaDevice(int Ordinal, string Name, int ComputeCapability, int Multiprocessors, long TotalMemory, int DriverVersion)
{
    private static readonly Lock Gate = new();
    private static int initializedDriverVersion;
    private static LoadedLibraries? libraries;

    /// <summary>
    /// Loads the driver, NVRTC (refusing one older than 12, and loading its builtins from its own folder) and cuBLAS, and
    /// initialises the driver (once per process); returns the driver version. Throws
    /// <see cref="CudaLibraryNotFoundException"/> or <see cref="CudaException"/> with a message saying what is missing.
    /// </summary>
    internal static int InitializeDriver()
    {
        lock (Gate)
        {
            if (initializedDriverVersion != 0) return initializedDriverVersion;
            NativeLibraryLoader.EnsureLoaded(NativeLibraryLoader.Driver);
            CudaCheck.Driver(CudaDriver.Init(0));
            CudaCheck.Driver(CudaDriver.DriverGetVersion(out var version));
            var nvrtcSpec = NativeLibraryLoader.Nvrtc(version);
            NativeLibraryLoader.EnsureLoaded(nvrtcSpec);
            var nvrtcPath = NativeLibraryLoader.PathOf(nvrtcSpec, "nvrtcVersion");
            CudaCheck.Nvrtc(Nvrtc.Version(out var nvMajor, out var nvMinor));
            NvrtcLibrary.RequireSupported(nvMajor, nvMinor, nvrtcPath);
            var builtins = NvrtcLibrary.PreloadBuiltins(nvrtcPath, nvMajor, nvMinor);
            var cublasSpec = NativeLibraryLoader.Cublas(version);
            NativeLibraryLoader.EnsureLoaded(cublasSpec);
            CudaCheck.Cublas(Cublas.GetProperty(0, out var blasMajor));
            CudaCheck.Cublas(Cublas.GetProperty(1, out var blasMinor));
            CudaCheck.Cublas(Cublas.GetProperty(2, out var blasPatch));
            libraries = new LoadedLibraries(NativeLibraryLoader.PathOf(NativeLibraryLoader.Driver, "cuInit"), version,
                nvrtcPath, $"{nvMajor}.{nvMinor}", builtins, NativeLibraryLoader.PathOf(cublasSpec, "cublasCreate_v2"),
                $"{blasMajor}.{blasMinor}.{blasPatch}");
            initializedDriverVersion = version;
            return version;
        }
    }

    /// <summary>The libraries loaded by <see cref="InitializeDriver"/> (files and versions).</summary>
    internal static LoadedLibraries Libraries
    {
        get
        {
            InitializeDriver();
            lock (Gate) return libraries!;
        }
    }

    /// <summary>Number of CUDA devices visible to this process.</summary>
    public static int Count()
    {
        InitializeDriver();
        CudaCheck.Driver(CudaDriver.DeviceGetCount(out var count));
        return count;
    }

    /// <summary>Reads device <paramref name="ordinal"/>; throws when there is no such device.</summary>
    public static unsafe CudaDevice Query(int ordinal)
    {
        int driver = InitializeDriver();
        CudaCheck.Driver(CudaDriver.DeviceGetCount(out var count));
        if (ordinal < 0 || ordinal >= count)
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal,
                count == 0 ? "no CUDA device is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES)"
                           : $"cuda:{ordinal} does not exist: this process sees {count} CUDA device(s), cuda:0..cuda:{count - 1}");
        CudaCheck.Driver(CudaDriver.DeviceGet(out var device, ordinal));
        var name = stackalloc byte[256];
        CudaCheck.Driver(CudaDriver.DeviceGetName(name, 256, device));
        CudaCheck.Driver(CudaDriver.DeviceGetAttribute(out var major, CUdeviceAttribute.ComputeCapabilityMajor, device));
        CudaCheck.Driver(CudaDriver.DeviceGetAttribute(out var minor, CUdeviceAttribute.ComputeCapabilityMinor, device));
        CudaCheck.Driver(CudaDriver.DeviceGetAttribute(out var sms, CUdeviceAttribute.MultiprocessorCount, device));
        CudaCheck.Driver(CudaDriver.DeviceTotalMem(out var bytes, device));
        int length = 0;
        while (length < 256 && name[length] != 0) length++;
        return new CudaDevice(ordinal, Encoding.UTF8.GetString(name, length), major * 10 + minor, sms, (long)bytes, driver);
    }

    /// <summary>e.g. <c>cuda:0 NVIDIA H100 80GB HBM3 (sm_90, 79.6 GiB, driver 13.0)</c>.</summary>
    public override string ToString() =>
        $"cuda:{Ordinal} {Name} (sm_{ComputeCapability}, {TotalMemory / (1024.0 * 1024 * 1024):F1} GiB, driver {DriverVersion / 1000}.{DriverVersion % 1000 / 10})";
}
