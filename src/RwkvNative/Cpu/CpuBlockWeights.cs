using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Cpu;

/// <summary>One block's weights in float32, converted once at load. Vectors are [C]; r_k is [H*64].</summary>
internal sealed class CpuBlockWeights
{
    public required float[] Ln1W, Ln1B, Ln2W, Ln2B;
    public required float[] XR, XW, XK, XV, XA, XG;
    public required float[] W0, A0, KK, KA, RK;
    public float[]? V0;
    public required LinearWeight Wr, Wk, Wv, Wo;
    public required LinearWeight W1, W2, A1, A2, G1, G2;
    public LinearWeight? V1, V2;
    public required float[] LnXW, LnXB;
    public required float[] FfnXK;
    public required LinearWeight FfnKey, FfnValue;

    /// <summary>Reads block <paramref name="i"/> under <paramref name="prefix"/> (shapes already validated by <see cref="ConfigReader"/>).</summary>
    public static CpuBlockWeights Load(Checkpoint ckpt, string prefix, int i)
    {
        string p = $"{prefix}{i}.";
        float[] V(string k) => ckpt.Get(p + k).ToFloat32();
        LinearWeight Lin(string k) => LinearWeight.FromLinear(ckpt.Get(p + k));
        LinearWeight Lora(string k) => LinearWeight.FromLora(ckpt.Get(p + k));
        bool hasV = i > 0;
        return new CpuBlockWeights
        {
            Ln1W = V("ln1.weight"), Ln1B = V("ln1.bias"), Ln2W = V("ln2.weight"), Ln2B = V("ln2.bias"),
            XR = V("att.x_r"), XW = V("att.x_w"), XK = V("att.x_k"), XV = V("att.x_v"), XA = V("att.x_a"), XG = V("att.x_g"),
            W0 = V("att.w0"), A0 = V("att.a0"), KK = V("att.k_k"), KA = V("att.k_a"), RK = V("att.r_k"),
            V0 = hasV ? V("att.v0") : null,
            Wr = Lin("att.receptance.weight"), Wk = Lin("att.key.weight"), Wv = Lin("att.value.weight"), Wo = Lin("att.output.weight"),
            W1 = Lora("att.w1"), W2 = Lora("att.w2"), A1 = Lora("att.a1"), A2 = Lora("att.a2"), G1 = Lora("att.g1"), G2 = Lora("att.g2"),
            V1 = hasV ? Lora("att.v1") : null, V2 = hasV ? Lora("att.v2") : null,
            LnXW = V("att.ln_x.weight"), LnXB = V("att.ln_x.bias"),
            FfnXK = V("ffn.x_k"),
            FfnKey = Lin("ffn.key.weight"), FfnValue = Lin("ffn.value.weight"),
        };
    }
}
