using RwkvNative.Cuda;
using RwkvNative.Model;

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// The one place GPU tests ask whether a CUDA device is usable (and skip, saying why, where none is), plus the random
/// start states they share.
/// </summary>
internal static class CudaTestDevice
{
    private static readonly CudaBackendProvider Probe = new();

    public static void RequireOrSkip()
    {
        if (!Probe.IsAvailable(0, out var why)) Assert.Skip($"no CUDA device: {why}");
    }

    /// <summary>A seeded non-zero start state: shift in [-1, 1), wkv in [-0.5, 0.5).</summary>
    /// <summary>A count the CPU emulator exports for tests (<c>rwkv_emu_*</c>); null on a real driver, which has none.</summary>
    public static long? EmulatorCount(string export)
    {
        var path = Environment.GetEnvironmentVariable("RWKV_CUDA_DRIVER");
        if (string.IsNullOrEmpty(path) || !System.Runtime.InteropServices.NativeLibrary.TryLoad(path, out var lib)) return null;
        if (!System.Runtime.InteropServices.NativeLibrary.TryGetExport(lib, export, out var f)) return null;
        unsafe { return ((delegate* unmanaged<long>)f)(); }
    }

    public static ModelState RandomState(ModelConfig config, int batch, int seed)
    {
        var s = new ModelState(config, batch);
        var rng = new Random(seed);
        for (int i = 0; i < s.Shift.Length; i++) s.Shift[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < s.Wkv.Length; i++) s.Wkv[i] = (float)((rng.NextDouble() * 2 - 1) * 0.5);
        return s;
    }
}
