using RwkvNative.Cuda;
using RwkvNative.Tests.Reference;
using RwkvNative.Verification;

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// Registers the CUDA provider for the test process, and only where a device is usable (the CUDA reference cases load
/// models by device name). On a host without one the registry stays as the other tests expect it.
/// </summary>
internal static class BackendRegistryHook
{
    private static readonly Lazy<bool> Done = new(() =>
    {
        if (!new CudaBackendProvider().IsAvailable(0, out _)) return false;
        CudaBackendProvider.Register();
        return true;
    });

    public static void EnsureRegistered() => _ = Done.Value;
}
