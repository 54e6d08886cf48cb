using RwkvNative.Checkpoints;
using RwkvNative.Cuda.Memory;
using RwkvNative.Model;

namespace RwkvNative.Cuda.Kernels;

/// <summary>wkv_output.cu: GroupNorm per head, r_k bonus and output gate.</summary>
internal sealed unsafe class WkvOutputLauncher(LaunchContext launch)
{
    public static readonly KernelName Kernel = new("wkv_output.cu", "wkv_output", ModelConfig.HeadSize);
    public static readonly KernelName Bf16 = new("wkv_output.cu", "wkv_output_bf16", ModelConfig.HeadSize);
    public static readonly KernelName F16 = new("wkv_output.cu", "wkv_output_f16", ModelConfig.HeadSize);

    private readonly nint function = launch.Modules.Function(Kernel);
    private readonly HalfOutputKernels half = new(launch, Bf16, F16);

    /// <summary>out[T, C] = (GN(y) + (Σ r·k·r_k) v) * g; lnW, lnB: [C]; rk: [H, 64].</summary>
    public void Run(DeviceView<float> y, DeviceView<float> r, DeviceView<float> k, DeviceView<float> v, DeviceView<float> g,
        DeviceVector lnW, DeviceVector lnB, DeviceVector rk, DeviceView<float> output, int tokens, int channels, float eps) =>
        Run(y, r, k, v, g, lnW, lnB, rk, output, tokens, channels, eps, (Kernel, function));

    /// <summary>As the float32 form, with <paramref name="output"/> [T, C] in <paramref name="dtype"/> (bf16 or fp16, the output projection's weights).</summary>
    public void Run(DeviceView<float> y, DeviceView<float> r, DeviceView<float> k, DeviceView<float> v, DeviceView<float> g,
        DeviceVector lnW, DeviceVector lnB, DeviceVector rk, DeviceView<ushort> output, TensorDType dtype, int tokens, int channels, float eps) =>
        Run(y, r, k, v, g, lnW, lnB, rk, output, tokens, channels, eps, half.For(dtype));

    private void Run<T>(DeviceView<float> y, DeviceView<float> r, DeviceView<float> k, DeviceView<float> v, DeviceView<float> g,
        DeviceVector lnW, DeviceVector lnB, DeviceVector rk, DeviceView<T> output, int tokens, int channels, float eps,
        (KernelName Name, nint Function) kernel) where T : unmanaged
    {
        long n = (long)tokens * channels;
        foreach (var (view, what) in new[] { (y, "y"), (r, "r"), (k, "k"), (v, "v"), (g, "g") })
            view.Require(n, "wkv_output " + what);
        output.Require(n, "wkv_output out");
        if (lnW.Length != channels || lnB.Length != channels || rk.Length != channels)
            throw new ArgumentException("ln_x and r_k must have C elements");
        if (tokens == 0) return;
        int heads = channels / ModelConfig.HeadSize;
        ulong py = y.Address, pr = r.Address, pk = k.Address, pv = v.Address, pg = g.Address, pw = lnW.View.Address,
            pb = lnB.View.Address, prk = rk.View.Address, pout = output.Address;
        int h = heads;
        void** args = stackalloc void*[] { &py, &pr, &pk, &pv, &pg, &pw, &pb, &prk, &pout, &h, &eps };
        launch.Launch(kernel.Name, kernel.Function, checked((uint)((long)tokens * heads)), ModelConfig.HeadSize, args);
    }
}
