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

    /// <summary>Threads per block for one block per row of <paramref name="channels"/>: a multiple of 32, at most 256.</summary>
    public static uint RowBlock(int channels) => (uint)Math.Clamp((channels + 31) / 32 * 32, 32, 256);

    /// <summary>Launches <paramref name="function"/> with a 1-D grid; <paramref name="args"/> points at each argument's value.</summary>
    public unsafe void Launch(string kernel, nint function, uint grid, uint block, void** args)
    {
        if (grid == 0) return;
        CudaCheck.Driver(CudaDriver.LaunchKernel(function, grid, 1, 1, block, 1, 1, 0, stream.Value, args, null),
            call: $"cuLaunchKernel({kernel}, grid {grid}, block {block})");
    }
}
