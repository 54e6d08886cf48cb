namespace RwkvNative.Model;

/// <summary>
/// Shape of an EmbeddingRWKV model (or of a reranker's blocks), inferred from checkpoint keys and shapes.
/// </summary>
/// <param name="Layers">L: number of blocks.</param>
/// <param name="Channels">C: model width (n_embd).</param>
/// <param name="DecayLora">Dw: width of the decay LoRA (w1/w2).</param>
/// <param name="AlphaLora">Da: width of the in-context learning-rate LoRA (a1/a2).</param>
/// <param name="ValueLora">Dv: width of the value-residual LoRA (v1/v2); 0 when the model has one layer.</param>
/// <param name="GateLora">Dg: width of the gate LoRA (g1/g2).</param>
public sealed record ModelConfig(int Layers, int Channels, int DecayLora, int AlphaLora, int ValueLora, int GateLora)
{
    /// <summary>N: head size, fixed at 64 by the wkv7 kernels.</summary>
    public const int HeadSize = 64;

    /// <summary>Vocabulary rows of the embedding table.</summary>
    public const int VocabSize = 65536;

    /// <summary>End-of-sequence token; embeddings pool over its positions.</summary>
    public const int EosToken = 65535;

    /// <summary>Padding token used by upstream's left padding.</summary>
    public const int PadToken = 0;

    /// <summary>H = C / 64.</summary>
    public int Heads => Channels / HeadSize;

    /// <summary>Hidden width of the channel mix (4C).</summary>
    public int FfnWidth => Channels * 4;
}
