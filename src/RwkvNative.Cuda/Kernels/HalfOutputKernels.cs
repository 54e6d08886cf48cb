using RwkvNative.Checkpoints;

namespace RwkvNative.Cuda.Kernels;

/// <summary>
/// The bf16- and fp16-writing forms of a kernel whose output is the input of a 16-bit GEMM
/// (<see cref="CudaBackendOptions.HalfGemmInputs"/>), loaded: the launcher picks one by the consuming weights' dtype.
/// </summary>
internal sealed class HalfOutputKernels(LaunchContext launch, KernelName bf16, KernelName f16)
{
    private readonly nint bf16Function = launch.Modules.Function(bf16);
    private readonly nint f16Function = launch.Modules.Function(f16);

    /// <summary>The form that writes <paramref name="dtype"/> (bf16 or fp16).</summary>
    public (KernelName Name, nint Function) For(TensorDType dtype) => dtype switch
    {
        TensorDType.BFloat16 => (bf16, bf16Function),
        TensorDType.Float16 => (f16, f16Function),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "only bf16 and fp16 are GEMM input types"),
    };
}
