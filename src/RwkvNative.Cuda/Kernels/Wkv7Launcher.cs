using RwkvNative.Cuda.Memory;
using RwkvNative.Model;

namespace RwkvNative.Cuda.Kernels;

/// <summary>
/// wkv7.cu: the recurrence over a ragged batch, one block per (sequence, head): <see cref="Kernel"/> with one thread per
/// state row, or <see cref="SplitKernel"/> with each row split over <see cref="SplitThreadsPerRow"/> threads
/// (<see cref="CudaWkv7Kernel"/> chooses).
/// </summary>
internal sealed unsafe class Wkv7Launcher(LaunchContext launch)
{
    public static readonly KernelName Kernel = new("wkv7.cu", "wkv7_forward", ModelConfig.HeadSize);
    public static readonly KernelName SplitKernel = new("wkv7.cu", "wkv7_forward_split", ModelConfig.HeadSize * SplitThreadsPerRow);

    /// <summary>Threads per state row of <see cref="SplitKernel"/> (RWKV_WKV7_SPLIT in wkv7.cu).</summary>
    public const int SplitThreadsPerRow = 4;

    private readonly nint function = launch.Modules.Function(Kernel);
    private readonly nint split = launch.Modules.Function(SplitKernel);

    /// <summary>
    /// state: [B, H, 64, 64] (this layer), updated in place; r, decay, k, v, a, b: [T, C]; y: [T, C] output.
    /// </summary>
    public void Run(DeviceView<float> state, RaggedBatch batch, DeviceView<float> r, DeviceView<float> decay,
        DeviceView<float> k, DeviceView<float> v, DeviceView<float> a, DeviceView<float> b, DeviceView<float> y, int channels,
        CudaWkv7Kernel variant = CudaWkv7Kernel.RowPerThread)
    {
        int heads = channels / ModelConfig.HeadSize;
        state.Require((long)batch.Sequences * heads * ModelConfig.HeadSize * ModelConfig.HeadSize, "wkv7 state");
        long n = (long)batch.Tokens * channels;
        r.Require(n, "wkv7 r"); decay.Require(n, "wkv7 decay"); k.Require(n, "wkv7 k"); v.Require(n, "wkv7 v");
        a.Require(n, "wkv7 a"); b.Require(n, "wkv7 b"); y.Require(n, "wkv7 y");
        if (batch.Tokens == 0 || batch.Sequences == 0) return;

        ulong ps = state.Address, po = batch.Offsets.Address, pr = r.Address, pw = decay.Address, pk = k.Address,
            pv = v.Address, pa = a.Address, pb = b.Address, py = y.Address;
        int h = heads;
        void** args = stackalloc void*[] { &ps, &po, &pr, &pw, &pk, &pv, &pa, &pb, &py, &h };
        uint grid = checked((uint)((long)batch.Sequences * heads));
        if (variant == CudaWkv7Kernel.SplitRow)
            launch.Launch(SplitKernel, split, grid, ModelConfig.HeadSize * SplitThreadsPerRow, args);
        else
            launch.Launch(Kernel, function, grid, ModelConfig.HeadSize, args);
    }
}
