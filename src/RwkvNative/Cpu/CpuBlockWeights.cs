using RwkvNative.Checkpoints;
using RwkvNative.Model;
using S = RwkvNative.Model.ModelSchema;

namespace RwkvNative.Cpu;

/// <summary>One block's weights in float32, converted once at load. Vectors are [C]; r_k is [H*64].</summary>
internal sealed class CpuBlockWeights
{
    public required float[] Ln1W, Ln1B, Ln2W, Ln2B;
    /// <summary>The time-mix lerps in <see cref="ModelSchema.TimeMixKeys"/> order (r, w, k, v, a, g).</summary>
    public required float[][] TimeMix;
    public required float[] W0, A0, KK, KA, RK;
    public float[]? V0;
    public required LinearWeight Wr, Wk, Wv, Wo;
    public required LinearWeight W1, W2, A1, A2, G1, G2;
    public LinearWeight? V1, V2;
    public required float[] LnXW, LnXB;
    public required float[] FfnXK;
    public required LinearWeight FfnKey, FfnValue;

    /// <summary>
    /// Which matrices <see cref="Precision.Int8"/> quantises: names containing one of these fragments. Default: the two
    /// FFN matrices (2/3 of the block's large-matrix multiply-adds). Measured on the fixtures (docs/benchmarks.md):
    /// quantising them costs ≤ 1e-4 of embedding cosine, while each attention projection alone (receptance, key,
    /// value, output: they feed the wkv7 state, where the error accumulates) costs 4–8× more, and all six together
    /// fall below the 0.999 bound. RWKV_INT8_LAYERS (comma list, e.g. <c>ffn.,receptance</c>) overrides the list to
    /// repeat that measurement.
    /// </summary>
    private static readonly string[] Int8Layers =
        (Environment.GetEnvironmentVariable("RWKV_INT8_LAYERS") ?? "ffn.").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool Int8Layer(string key)
    {
        foreach (var fragment in Int8Layers)
            if (key.Contains(fragment, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>
    /// Reads block <paramref name="i"/> under <paramref name="prefix"/> (shapes already validated by <see cref="ConfigReader"/>).
    /// With <see cref="Precision.Int8"/> the FFN matrices are quantised (<see cref="Int8Weight"/>, see Int8Layers);
    /// the attention projections and the LoRA projections stay float32 (LoRA: ~6% of the multiply-adds, narrow N,
    /// feeding the decay exp(-exp(.)) directly).
    /// </summary>
    public static CpuBlockWeights Load(Checkpoint ckpt, string prefix, ModelConfig config, int i, Precision precision = Precision.Float32)
    {
        var t = SchemaTensors<float[], LinearWeight>.Load(S.Block(config, i),
            spec => ckpt.Get(S.BlockKey(prefix, i, spec.Key), spec.Shape).ToFloat32(),
            spec => precision == Precision.Int8 && spec.Kind != TensorKind.Lora && Int8Layer(spec.Key)
                ? LinearWeight.QuantizedLinear(ckpt.Get(S.BlockKey(prefix, i, spec.Key), spec.Shape), Int8Gemm.WeightLevels)
                : LinearWeight.From(ckpt.Get(S.BlockKey(prefix, i, spec.Key), spec.Shape), spec.Kind));
        return new CpuBlockWeights
        {
            Ln1W = t.Vector(S.Ln1Weight), Ln1B = t.Vector(S.Ln1Bias), Ln2W = t.Vector(S.Ln2Weight), Ln2B = t.Vector(S.Ln2Bias),
            TimeMix = S.TimeMixKeys.Select(t.Vector).ToArray(),
            W0 = t.Vector(S.W0), A0 = t.Vector(S.A0), KK = t.Vector(S.KK), KA = t.Vector(S.KA), RK = t.Vector(S.RK),
            V0 = t.OptionalVector(S.V0),
            Wr = t.Matrix(S.Receptance), Wk = t.Matrix(S.Key), Wv = t.Matrix(S.Value), Wo = t.Matrix(S.Output),
            W1 = t.Matrix(S.W1), W2 = t.Matrix(S.W2), A1 = t.Matrix(S.A1), A2 = t.Matrix(S.A2), G1 = t.Matrix(S.G1), G2 = t.Matrix(S.G2),
            V1 = t.OptionalMatrix(S.V1), V2 = t.OptionalMatrix(S.V2),
            LnXW = t.Vector(S.LnXWeight), LnXB = t.Vector(S.LnXBias),
            FfnXK = t.Vector(S.FfnMix),
            FfnKey = t.Matrix(S.FfnKey), FfnValue = t.Matrix(S.FfnValue),
        };
    }
}
