namespace RwkvNative.Cpu;

/// <summary>Instruction sets the GEMM has micro-kernels for, best first.</summary>
internal enum GemmIsa
{
    /// <summary>Portable scalar loops.</summary>
    Scalar,
    /// <summary>128-bit vectors (ARM64 NEON, or SSE on x64).</summary>
    Vector128,
    /// <summary>256-bit vectors with FMA (AVX2).</summary>
    Vector256,
    /// <summary>512-bit vectors (AVX-512F).</summary>
    Vector512,
}
