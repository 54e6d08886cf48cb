using RwkvNative.Cuda.Memory;
using RwkvNative.Model;

namespace RwkvNative.Cuda.Kernels;

/// <summary>pooling.cu: adds each sequence's EOS rows and counts them.</summary>
internal sealed unsafe class PoolingLauncher(LaunchContext launch)
{
    public static readonly KernelName Kernel = new("pooling.cu", "eos_pool", LaunchContext.MaxRowBlock);

    private readonly nint function = launch.Modules.Function(Kernel);

    /// <summary>x: [T, C] (LN(x; ln_out)); eosSum: [B, C] and eosCount: [B], both accumulated.</summary>
    public void Run(DeviceView<float> x, RaggedBatch batch, DeviceView<float> eosSum, DeviceView<int> eosCount, int channels)
    {
        x.Require((long)batch.Tokens * channels, "pooling input");
        eosSum.Require((long)batch.Sequences * channels, "pooling sums");
        eosCount.Require(batch.Sequences, "pooling counts");
        if (batch.Tokens == 0 || batch.Sequences == 0) return;
        ulong px = x.Address, pt = batch.TokenIds.Address, po = batch.Offsets.Address, ps = eosSum.Address, pc = eosCount.Address;
        int c = channels, eos = ModelConfig.EosToken;
        void** args = stackalloc void*[] { &px, &pt, &po, &ps, &pc, &c, &eos };
        launch.Launch(Kernel, function, (uint)batch.Sequences, LaunchContext.RowBlock(channels), args);
    }
}
