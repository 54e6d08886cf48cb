namespace RwkvNative.Cuda.Kernels;

/// <summary>
/// A kernel: the source file that defines it, its <c>extern "C"</c> name, and the most threads per block its launcher
/// ever uses (launches beyond it are refused, and the real-NVRTC check derives each kernel's register budget from it).
/// </summary>
/// <param name="File">e.g. <c>wkv7.cu</c>.</param>
/// <param name="Function">e.g. <c>wkv7_forward</c>.</param>
/// <param name="MaxThreads">Largest block its launcher uses.</param>
internal sealed record KernelName(string File, string Function, int MaxThreads)
{
    /// <summary>Registers in one multiprocessor's register file (every architecture from sm_50 to sm_120).</summary>
    public const int RegisterFile = 65536;

    /// <summary>Most registers per thread the hardware gives a thread of any kernel.</summary>
    public const int MaxRegistersPerThread = 255;

    /// <summary>Registers per thread above which a block of <see cref="MaxThreads"/> threads cannot launch at all.</summary>
    public int RegisterBudget => Math.Min(MaxRegistersPerThread, RegisterFile / MaxThreads);
}
