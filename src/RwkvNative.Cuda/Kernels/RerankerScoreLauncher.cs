using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda.Kernels;

/// <summary>heads.cu: the reranker's logit = head.2 · tanh(head.0 x + bias).</summary>
internal sealed unsafe class RerankerScoreLauncher(LaunchContext launch)
{
    public static readonly KernelName Kernel = new("heads.cu", "reranker_score", LaunchContext.MaxRowBlock);

    private readonly nint function = launch.Modules.Function(Kernel);

    /// <summary>y: [B, C] = head.0.weight x; bias, w2: [C]; logits: [B].</summary>
    public void Run(DeviceView<float> y, DeviceVector bias, DeviceVector w2, DeviceView<float> logits, int batch, int channels)
    {
        y.Require((long)batch * channels, "reranker head input");
        logits.Require(batch, "reranker logits");
        if (bias.Length != channels || w2.Length != channels) throw new ArgumentException("reranker head vectors must have C elements");
        if (batch == 0) return;
        ulong py = y.Address, pb = bias.View.Address, pw = w2.View.Address, pl = logits.Address;
        int c = channels;
        void** args = stackalloc void*[] { &py, &pb, &pw, &pl, &c };
        launch.Launch(Kernel, function, (uint)batch, LaunchContext.RowBlock(channels), args);
    }
}
