using RwkvNative.Cuda;
using RwkvNative.Tests.Reference;
using RwkvNative.Verification;

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// The shared reference suite on device <c>cuda</c> with default options (<see cref="CudaReferenceDevice"/>). Skipped, with the reason, where no CUDA device is usable.
/// </summary>
public sealed class CudaReferenceCasesTests : ReferenceCasesTests
{
    static CudaReferenceCasesTests() => BackendRegistryHook.EnsureRegistered();

    protected override string Device => CudaReferenceDevice.Name;

    protected override Tolerance Tolerance => CudaReferenceDevice.Tolerance;

    protected override double Consistency => CudaReferenceDevice.BatchingTolerance;

    protected override double ConcurrentTolerance => CudaReferenceDevice.BatchingTolerance;

    protected override void RequireDevice() => CudaReferenceDevice.Require();
}
