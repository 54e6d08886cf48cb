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
    /// <summary>N: head size (<see cref="ModelSchema.HeadSize"/>).</summary>
    public const int HeadSize = ModelSchema.HeadSize;

    /// <summary>Vocabulary rows of the embedding table (<see cref="ModelSchema.VocabSize"/>).</summary>
    public const int VocabSize = ModelSchema.VocabSize;

    /// <summary>End-of-sequence token (<see cref="ModelSchema.EosToken"/>).</summary>
    public const int EosToken = ModelSchema.EosToken;

    /// <summary>Padding token of upstream's left padding (<see cref="ModelSchema.PadToken"/>).</summary>
    public const int PadToken = ModelSchema.PadToken;

    /// <summary>H = C / 64.</summary>
    public int Heads => Channels / HeadSize;

    /// <summary>Hidden width of the channel mix (4C).</summary>
    public int FfnWidth => Channels * 4;
}
