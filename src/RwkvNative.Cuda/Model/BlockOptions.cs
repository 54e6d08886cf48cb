using RwkvNative.Cuda.Kernels;

namespace RwkvNative.Cuda.Model;

/// <summary>The speed levers <see cref="BlockRunner"/> obeys, taken from the backend's options when the session opens.</summary>
/// <param name="FusedKernels">LayerNorm fused with the token-shift lerps.</param>
/// <param name="HalfGemmInputs">Producers write GEMM inputs in the weights' 16-bit dtype (needs <paramref name="FusedKernels"/>).</param>
/// <param name="Wkv7">Which wkv7 kernel runs the recurrence.</param>
internal readonly record struct BlockOptions(bool FusedKernels, bool HalfGemmInputs, CudaWkv7Kernel Wkv7);
