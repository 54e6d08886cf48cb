using RwkvNative.Cuda;

namespace RwkvNative.Tests.Cuda;

/// <summary>The one place GPU tests ask whether a CUDA device is usable, and skip (saying why) where none is.</summary>
internal static class CudaTestDevice
{
    private static readonly CudaBackendProvider Probe = new();

    public static void RequireOrSkip()
    {
        if (!Probe.IsAvailable(0, out var why)) Assert.Skip($"no CUDA device: {why}");
    }
}
