using RwkvNative.Verification;

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// What every shared reference suite run on device <c>cuda</c> has in common (<see cref="CudaReferenceCasesTests"/>,
/// <see cref="CudaMultiEosReferenceTests"/>): the device name, the tolerance of weights as stored, and the device check.
/// </summary>
internal static class CudaReferenceDevice
{
    /// <summary>The device name the suites load models by (registered by <see cref="BackendRegistryHook"/>).</summary>
    public const string Name = "cuda";

    /// <summary>Default options keep weights as stored (bf16/fp16 GEMM inputs): the reduced-precision tolerance.</summary>
    public static Tolerance Tolerance => Tolerance.Reduced;

    /// <summary>
    /// Between two batchings (pass sizes, concurrent calls) of the same inputs: with bf16/fp16 GEMM inputs cuBLAS may choose
    /// another algorithm for another row count, so batching changes low bits.
    /// </summary>
    public const double BatchingTolerance = 5e-3;

    /// <summary>Registers the CUDA provider where a device is usable, else skips the test with the reason.</summary>
    public static void Require()
    {
        BackendRegistryHook.EnsureRegistered();
        CudaTestDevice.RequireOrSkip();
    }
}
