using RwkvNative.Checkpoints;
using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Memory;
using RwkvNative.Model;
using S = RwkvNative.Model.ModelSchema;

namespace RwkvNative.Cuda.Model;

/// <summary>
/// One block's weights on the device (embedding model or reranker): matrices in the chosen precision, every vector as
/// float32. Key names and shapes: MODEL.md section 1.
/// </summary>
internal sealed class CudaBlockWeights : IDisposable
{
    private readonly List<IDisposable> owned = [];

    public required DeviceVector Ln1W, Ln1B, Ln2W, Ln2B;
    /// <summary>[6, C]: the lerps in <see cref="ModelSchema.TimeMixKeys"/> order, the order token_shift_mix writes them.</summary>
    public required DeviceVector TimeMix;
    public required DeviceVector W0, A0, KK, KA, RK, LnXW, LnXB;
    public DeviceVector? V0;
    public required DeviceMatrix Wr, Wk, Wv, Wo, W1, W2, A1, A2, G1, G2;
    public DeviceMatrix? V1, V2;
    /// <summary>[1, C]: ffn.x_k.</summary>
    public required DeviceVector ChannelMix;
    public required DeviceMatrix FfnKey, FfnValue;

    /// <summary>Index of <see cref="TimeMix"/> rows (<see cref="ModelSchema.TimeMixKeys"/> order).</summary>
    public const int MixR = 0, MixW = 1, MixK = 2, MixV = 3, MixA = 4, MixG = 5, MixCount = 6;

    /// <summary>Uploads block <paramref name="index"/> under <paramref name="prefix"/> (e.g. <c>rwkv.blocks.</c>).</summary>
    public static CudaBlockWeights Load(ContextHandle context, Checkpoint ckpt, string prefix, int index, ModelConfig config,
        CudaWeightPrecision precision)
    {
        int c = config.Channels;
        var list = new List<IDisposable>();
        T Own<T>(T item) where T : IDisposable { list.Add(item); return item; }
        try
        {
            // Vectors stay checkpoint tensors until uploaded (the six lerps go up as one [6, C] buffer); matrices go up now.
            var t = SchemaTensors<CheckpointTensor, DeviceMatrix>.Load(S.Block(config, index),
                spec => ckpt.Get(S.BlockKey(prefix, index, spec.Key), spec.Shape),
                spec => Own(DeviceMatrix.From(context, ckpt.Get(S.BlockKey(prefix, index, spec.Key), spec.Shape), spec.Kind, precision)));
            DeviceVector Vec(string key) => Own(DeviceVector.Upload(context, t.Vector(key), c));
            var v0 = t.OptionalVector(S.V0);
            var w = new CudaBlockWeights
            {
                Ln1W = Vec(S.Ln1Weight), Ln1B = Vec(S.Ln1Bias), Ln2W = Vec(S.Ln2Weight), Ln2B = Vec(S.Ln2Bias),
                TimeMix = Own(DeviceVector.Concat(context, c, S.TimeMixKeys.Select(t.Vector).ToArray())),
                W0 = Vec(S.W0), A0 = Vec(S.A0), KK = Vec(S.KK), KA = Vec(S.KA), RK = Vec(S.RK),
                LnXW = Vec(S.LnXWeight), LnXB = Vec(S.LnXBias),
                V0 = v0 == null ? null : Own(DeviceVector.Upload(context, v0, c)),
                Wr = t.Matrix(S.Receptance), Wk = t.Matrix(S.Key), Wv = t.Matrix(S.Value), Wo = t.Matrix(S.Output),
                W1 = t.Matrix(S.W1), W2 = t.Matrix(S.W2), A1 = t.Matrix(S.A1), A2 = t.Matrix(S.A2), G1 = t.Matrix(S.G1), G2 = t.Matrix(S.G2),
                V1 = t.OptionalMatrix(S.V1), V2 = t.OptionalMatrix(S.V2),
                ChannelMix = Vec(S.FfnMix),
                FfnKey = t.Matrix(S.FfnKey), FfnValue = t.Matrix(S.FfnValue),
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
