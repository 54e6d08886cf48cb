using RwkvNative.Cuda.Memory;
using RwkvNative.Model;

namespace RwkvNative.Cuda.Kernels;

/// <summary>wkv_output.cu: GroupNorm per head, r_k bonus and output gate.</summary>
internal sealed unsafe class WkvOutputLauncher(LaunchContext launch)
{
    public static readonly KernelName Kernel = new("wkv_output.cu", "wkv_output", ModelConfig.HeadSize);

    private readonly nint function = launch.Modules.Function(Kernel);

    /// <summary>out[T, C] = (GN(y) + (Σ r·k·r_k) v) * g; lnW, lnB: [C]; rk: [H, 64].</summary>
    public void Run(DeviceView<float> y, DeviceView<float> r, DeviceView<float> k, DeviceView<float> v, DeviceView<float> g,
        DeviceVector lnW, DeviceVector lnB, DeviceVector rk, DeviceView<float> output, int tokens, int channels, float eps)
    {
        long n = (long)tokens * channels;
        foreach (var (view, what) in new[] { (y, "y"), (r, "r"), (k, "k"), (v, "v"), (g, "g"), (output, "out") })
            view.Require(n, "wkv_output " + what);
        if (lnW.Length != channels || lnB.Length != channels || rk.Length != channels)
            throw new ArgumentException("ln_x and r_k must have C elements");
        if (tokens == 0) return;
        int heads = channels / ModelConfig.HeadSize;
        ulong py = y.Address, pr = r.Address, pk = k.Address, pv = v.Address, pg = g.Address, pw = lnW.View.Address,
            pb = lnB.View.Address, prk = rk.View.Address, pout = output.Address;
        int h = heads;
        void** args = stackalloc void*[] { &py, &pr, &pk, &pv, &pg, &pw, &pb, &prk, &pout, &h, &eps };
        launch.Launch(Kernel, function, checked((uint)((long)tokens * heads)), ModelConfig.HeadSize, args);
    }
}
