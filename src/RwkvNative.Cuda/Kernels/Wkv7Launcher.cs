using RwkvNative.Cuda.Memory;
using RwkvNative.Model;

namespace RwkvNative.Cuda.Kernels;

/// <summary>wkv7.cu: the recurrence over a ragged batch, one block per (sequence, head), one thread per state row.</summary>
internal sealed unsafe class Wkv7Launcher(LaunchContext launch)
{
    public static readonly KernelName Kernel = new("wkv7.cu", "wkv7_forward");

    private readonly nint function = launch.Modules.Function(Kernel);

    /// <summary>
    /// state: [B, H, 64, 64] (this layer), updated in place; r, decay, k, v, a, b: [T, C]; y: [T, C] output.
    /// </summary>
    public void Run(DeviceView<float> state, RaggedBatch batch, DeviceView<float> r, DeviceView<float> decay,
        DeviceView<float> k, DeviceView<float> v, DeviceView<float> a, DeviceView<float> b, DeviceView<float> y, int channels)
    {
        int heads = channels / ModelConfig.HeadSize;
        state.Require((long)batch.Sequences * heads * ModelConfig.HeadSize * ModelConfig.HeadSize, "wkv7 state");
        long n = (long)batch.Tokens * channels;
        foreach (var (view, what) in new[] { (r, "r"), (decay, "decay"), (k, "k"), (v, "v"), (a, "a"), (b, "b"), (y, "y") })
            view.Require(n, "wkv7 " + what);
        if (batch.Tokens == 0 || batch.Sequences == 0) return;

        ulong ps = state.Address, po = batch.Offsets.Address, pr = r.Address, pw = decay.Address, pk = k.Address,
            pv = v.Address, pa = a.Address, pb = b.Address, py = y.Address;
        int h = heads;
        void** args = stackalloc void*[] { &ps, &po, &pr, &pw, &pk, &pv, &pa, &pb, &py, &h };
        launch.Launch(Kernel.Function, function, checked((uint)((long)batch.Sequences * heads)), ModelConfig.HeadSize, args);
    }
}
