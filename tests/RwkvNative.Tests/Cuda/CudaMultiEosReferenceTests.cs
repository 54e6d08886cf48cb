using RwkvNative.Tests.Reference;
using RwkvNative.Verification;

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// The multi-EOS references on device <c>cuda</c> (<see cref="CudaReferenceDevice"/>). Skipped, with the reason, where no
/// CUDA device is usable.
/// </summary>
public sealed class CudaMultiEosReferenceTests : MultiEosReferenceTests
{
    static CudaMultiEosReferenceTests() => BackendRegistryHook.EnsureRegistered();

    protected override string Device => CudaReferenceDevice.Name;

    protected override Tolerance Tolerance => CudaReferenceDevice.Tolerance;

    protected override double PassTolerance => CudaReferenceDevice.BatchingTolerance;

    protected override void RequireDevice() => CudaReferenceDevice.Require();
}
