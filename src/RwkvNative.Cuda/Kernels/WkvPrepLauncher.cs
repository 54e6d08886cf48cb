using RwkvNative.Cuda.Memory;
using RwkvNative.Model;

namespace RwkvNative.Cuda.Kernels;

/// <summary>wkv_prep.cu: decay, kk, k update, in-context learning rate and value residual, per (token, head).</summary>
internal sealed unsafe class WkvPrepLauncher(LaunchContext launch)
{
    public static readonly KernelName Kernel = new("wkv_prep.cu", "wkv_prep", ModelConfig.HeadSize);

    private readonly nint function = launch.Modules.Function(Kernel);

    /// <summary>The [T, C] activations the kernel reads and writes (see wkv_prep.cu for each one's meaning).</summary>
    public readonly record struct Buffers(DeviceView<float> K, DeviceView<float> ALora, DeviceView<float> WLora,
        DeviceView<float> V, DeviceView<float> VLora, DeviceView<float> VFirst,
        DeviceView<float> Decay, DeviceView<float> AOut, DeviceView<float> BOut);

    /// <summary>Runs over <paramref name="tokens"/> × H heads; <paramref name="v0"/> is null in the first layer.</summary>
    public void Run(Buffers io, bool firstLayer, DeviceVector w0, DeviceVector a0, DeviceVector kk, DeviceVector ka,
        DeviceVector? v0, int tokens, int channels)
    {
        long n = (long)tokens * channels;
        foreach (var (view, what) in new[] { (io.K, "k"), (io.ALora, "a_lora"), (io.WLora, "w_lora"), (io.V, "v"),
                     (io.VFirst, "v_first"), (io.Decay, "decay"), (io.AOut, "a"), (io.BOut, "b") })
            view.Require(n, "wkv_prep " + what);
        if (!firstLayer)
        {
            io.VLora.Require(n, "wkv_prep v_lora");
            if (v0 == null) throw new ArgumentException("layers after the first need v0", nameof(v0));
        }
        if (tokens == 0) return;
        int heads = channels / ModelConfig.HeadSize;
        ulong pk = io.K.Address, pa = io.ALora.Address, pw = io.WLora.Address, pv = io.V.Address,
            pvl = firstLayer ? 0 : io.VLora.Address, pvf = io.VFirst.Address,
            pw0 = w0.View.Address, pa0 = a0.View.Address, pkk = kk.View.Address, pka = ka.View.Address,
            pv0 = v0?.View.Address ?? 0, pd = io.Decay.Address, pao = io.AOut.Address, pbo = io.BOut.Address;
        int first = firstLayer ? 1 : 0, h = heads;
        void** args = stackalloc void*[] { &pk, &pa, &pw, &pv, &pvl, &pvf, &first, &pw0, &pa0, &pkk, &pka, &pv0, &pd, &pao, &pbo, &h };
        launch.Launch(Kernel, function, checked((uint)((long)tokens * heads)), ModelConfig.HeadSize, args);
    }
}
