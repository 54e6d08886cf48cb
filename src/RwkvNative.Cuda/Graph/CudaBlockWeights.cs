using RwkvNative.Checkpoints;
using RwkvNative.Cuda.Handles;
using RwkvNative.Model;

namespace RwkvNative.Cuda.Graph;

/// <summary>
/// One block's weights on the device (embedding model or reranker): matrices in the chosen precision, every vector as
/// float32. Key names and shapes: MODEL.md section 1.
/// </summary>
internal sealed class CudaBlockWeights : IDisposable
{
    private readonly List<IDisposable> owned = [];

    public required DeviceVector Ln1W, Ln1B, Ln2W, Ln2B;
    /// <summary>[6, C]: x_r, x_w, x_k, x_v, x_a, x_g, in the order token_shift_mix writes them.</summary>
    public required DeviceVector TimeMix;
    public required DeviceVector W0, A0, KK, KA, RK, LnXW, LnXB;
    public DeviceVector? V0;
    public required DeviceMatrix Wr, Wk, Wv, Wo, W1, W2, A1, A2, G1, G2;
    public DeviceMatrix? V1, V2;
    /// <summary>[1, C]: ffn.x_k.</summary>
    public required DeviceVector ChannelMix;
    public required DeviceMatrix FfnKey, FfnValue;

    /// <summary>Index of <see cref="TimeMix"/> rows.</summary>
    public const int MixR = 0, MixW = 1, MixK = 2, MixV = 3, MixA = 4, MixG = 5, MixCount = 6;

    /// <summary>Uploads block <paramref name="index"/> under <paramref name="prefix"/> (e.g. <c>rwkv.blocks.</c>).</summary>
    public static CudaBlockWeights Load(ContextHandle context, Checkpoint ckpt, string prefix, int index, ModelConfig config,
        CudaWeightPrecision precision)
    {
        int c = config.Channels;
        string p = $"{prefix}{index}.";
        var list = new List<IDisposable>();
        T Own<T>(T item) where T : IDisposable { list.Add(item); return item; }
        DeviceVector Vec(string key) => Own(DeviceVector.Upload(context, ckpt.Get(p + key), c));
        DeviceMatrix Lin(string key, int rows, int cols) => Own(DeviceMatrix.Linear(context, ckpt.Get(p + key, rows, cols), precision));
        DeviceMatrix Lora(string key, int rows, int cols) => Own(DeviceMatrix.Lora(context, ckpt.Get(p + key, rows, cols), precision));
        try
        {
            bool valueResidual = index > 0;
            var w = new CudaBlockWeights
            {
                Ln1W = Vec("ln1.weight"), Ln1B = Vec("ln1.bias"), Ln2W = Vec("ln2.weight"), Ln2B = Vec("ln2.bias"),
                TimeMix = Own(DeviceVector.Concat(context, c,
                    ckpt.Get(p + "att.x_r"), ckpt.Get(p + "att.x_w"), ckpt.Get(p + "att.x_k"),
                    ckpt.Get(p + "att.x_v"), ckpt.Get(p + "att.x_a"), ckpt.Get(p + "att.x_g"))),
                W0 = Vec("att.w0"), A0 = Vec("att.a0"), KK = Vec("att.k_k"), KA = Vec("att.k_a"),
                RK = Own(DeviceVector.Upload(context, ckpt.Get(p + "att.r_k", config.Heads, ModelConfig.HeadSize), c)),
                LnXW = Vec("att.ln_x.weight"), LnXB = Vec("att.ln_x.bias"),
                V0 = valueResidual ? Vec("att.v0") : null,
                Wr = Lin("att.receptance.weight", c, c), Wk = Lin("att.key.weight", c, c),
                Wv = Lin("att.value.weight", c, c), Wo = Lin("att.output.weight", c, c),
                W1 = Lora("att.w1", c, config.DecayLora), W2 = Lora("att.w2", config.DecayLora, c),
                A1 = Lora("att.a1", c, config.AlphaLora), A2 = Lora("att.a2", config.AlphaLora, c),
                G1 = Lora("att.g1", c, config.GateLora), G2 = Lora("att.g2", config.GateLora, c),
                V1 = valueResidual ? Lora("att.v1", c, config.ValueLora) : null,
                V2 = valueResidual ? Lora("att.v2", config.ValueLora, c) : null,
                ChannelMix = Vec("ffn.x_k"),
                FfnKey = Lin("ffn.key.weight", config.FfnWidth, c),
                FfnValue = Lin("ffn.value.weight", c, config.FfnWidth),
            };
            w.owned.AddRange(list);
            return w;
        }
        catch
        {
            foreach (var d in list) d.Dispose();
            throw;
        }
    }

    /// <summary>Widest LoRA hidden layer of this block.</summary>
    public int MaxLoraWidth => Math.Max(Math.Max(W1.Outputs, A1.Outputs), Math.Max(G1.Outputs, V1?.Outputs ?? 0));

    /// <summary>Frees every device copy.</summary>
    public void Dispose()
    {
        foreach (var d in owned) d.Dispose();
        owned.Clear();
    }
}
