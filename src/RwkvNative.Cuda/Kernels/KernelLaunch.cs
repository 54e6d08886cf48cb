using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Kernels;

/// <summary>What every launcher needs: the stream to launch on, the loaded modules and the device's size.</summary>
internal sealed class LaunchContext(StreamHandle stream, KernelModules modules, int multiprocessors)
{
    /// <summary>The backend's stream.</summary>
    public StreamHandle Stream => stream;

    /// <summary>Loaded kernel modules.</summary>
    public KernelModules Modules => modules;

    /// <summary>Streaming multiprocessors, to size grid-stride launches.</summary>
    public int Multiprocessors => multiprocessors;

    /// <summary>Threads per block of the element-wise kernels.</summary>
    public const int ElementwiseBlock = 256;

    /// <summary>Blocks for a grid-stride loop over <paramref name="elements"/>: enough to fill the GPU, no more than needed.</summary>
    public uint GridFor(long elements)
    {
        long needed = (elements + ElementwiseBlock - 1) / ElementwiseBlock;
        return (uint)Math.Clamp(needed, 1, (long)multiprocessors * 32);
    }

    /// <summary>Largest block of the one-block-per-row kernels (<see cref="RowBlock"/>).</summary>
    public const int MaxRowBlock = 256;

    /// <summary>Threads per block for one block per row of <paramref name="channels"/>: a multiple of 32, at most <see cref="MaxRowBlock"/>.</summary>
    public static uint RowBlock(int channels) => (uint)Math.Clamp((channels + 31) / 32 * 32, 32, MaxRowBlock);

    /// <summary>
    /// Launches <paramref name="function"/> (the loaded <paramref name="kernel"/>) with a 1-D grid; <paramref name="args"/>
    /// points at each argument's value. A block larger than the kernel declares is refused (its register budget assumes it).
    /// </summary>
    public unsafe void Launch(KernelName kernel, nint function, uint grid, uint block, void** args)
    {
        if (grid == 0) return;
        if (block == 0 || block > kernel.MaxThreads)
            throw new InvalidOperationException($"{kernel.Function} launched with {block} threads per block; its launcher declares at most {kernel.MaxThreads}");
        CudaCheck.Driver(CudaDriver.LaunchKernel(function, grid, 1, 1, block, 1, 1, 0, stream.Value, args, null),
            call: $"cuLaunchKernel({kernel.Function}, grid {grid}, block {block})");
        stream.Counters.Launch();
    }
}
