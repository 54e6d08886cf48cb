using RwkvNative.Cuda;
using RwkvNative.Tests.Reference;
using RwkvNative.Verification;

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// The shared reference suite on device <c>cuda</c> with default options (weights as stored: bf16/fp16 GEMM inputs), so
/// judged by the reduced-precision tolerance. Skipped, with the reason, where no CUDA device is usable.
/// </summary>
public sealed class CudaReferenceCasesTests : ReferenceCasesTests
{
    static CudaReferenceCasesTests() => BackendRegistryHook.EnsureRegistered();

    protected override string Device => "cuda";

    protected override Tolerance Tolerance => Tolerance.Reduced;

    // bf16/fp16 GEMM inputs: cuBLAS may choose another algorithm for another row count, so batching changes low bits.
    protected override double Consistency => 5e-3;

    protected override double ConcurrentTolerance => 5e-3;

    protected override void RequireDevice()
    {
        CudaTestDevice.RequireOrSkip();
    }
}

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
