using RwkvNative.Tests.Reference;
using RwkvNative.Verification;

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// The multi-EOS references on device <c>cuda</c> (weights as stored: reduced-precision tolerance; other pass sizes may change
/// low bits through other GEMM row counts). Skipped, with the reason, where no CUDA device is usable.
/// </summary>
public sealed class CudaMultiEosReferenceTests : MultiEosReferenceTests
{
    static CudaMultiEosReferenceTests() => BackendRegistryHook.EnsureRegistered();

    protected override string Device => "cuda";

    protected override Tolerance Tolerance => Tolerance.Reduced;

    protected override double PassTolerance => 5e-3;

    protected override void RequireDevice() => CudaTestDevice.RequireOrSkip();
}
