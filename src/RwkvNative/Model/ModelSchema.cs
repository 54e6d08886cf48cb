namespace RwkvNative.Model;

/// <summary>
/// The one description of an EmbeddingRWKV checkpoint (MODEL.md section 1): every key, its kind and shape, and the
/// model's constants. The config reader validates against it, both backends load by iterating it, the random-checkpoint
/// generator writes it, and the CUDA kernels receive its constants as NVRTC <c>-D</c> defines.
/// </summary>
public static class ModelSchema
{
    // ---- constants of the math ----

    /// <summary>N: head size, fixed at 64 by the wkv7 kernels.</summary>
    public const int HeadSize = 64;

    /// <summary>Rows of the embedding table.</summary>
    public const int VocabSize = 65536;

    /// <summary>End-of-sequence token; embeddings pool over its positions.</summary>
    public const int EosToken = VocabSize - 1;

    /// <summary>Padding token of upstream's left padding (<c>&lt;|endoftext|&gt;</c>).</summary>
    public const int PadToken = 0;

    /// <summary>Epsilon of every LayerNorm (ln0, ln1, ln2, ln_out, the heads): nn.LayerNorm's default.</summary>
    public const float LayerNormEps = 1e-5f;

    /// <summary>Epsilon of the per-head GroupNorm ln_x: 1e-5 × head size, as upstream sets it.</summary>
    public const float GroupNormEps = 64e-5f;

    /// <summary>e^-0.5: decay = exp(-e^-0.5 · sigmoid(w0 + w)).</summary>
    public const float DecayScale = 0.6065306597f;

    /// <summary>Floor of the per-head L2 norm of k·k_k (F.normalize's eps).</summary>
    public const float KeyNormFloor = 1e-12f;

    // ---- key prefixes and top-level keys ----

    /// <summary>Key prefix of the embedding model's blocks.</summary>
    public const string EmbeddingPrefix = "rwkv.blocks.";

    /// <summary>Key prefix of the reranker's blocks.</summary>
    public const string RerankerPrefix = "reranker.blocks.";

    /// <summary>[V, C] token embedding table.</summary>
    public const string EmbeddingTable = "rwkv.emb.weight";

    /// <summary>[C] final LayerNorm of the embedding model.</summary>
    public const string EmbeddingLnOutWeight = "rwkv.ln_out.weight", EmbeddingLnOutBias = "rwkv.ln_out.bias";

    /// <summary>[1, C] reranker start vector: either key, by upstream version.</summary>
    public static IReadOnlyList<string> RerankerStartKeys { get; } = ["reranker.emb.weight", "reranker.token.weight"];

    /// <summary>[C] final LayerNorm of the reranker.</summary>
    public const string RerankerLnOutWeight = "reranker.ln_out.weight", RerankerLnOutBias = "reranker.ln_out.bias";

    /// <summary>Reranker score head: [C, C] weight and [C] bias of the tanh layer, [1, C] of the output row.</summary>
    public const string RerankerHidden = "reranker.head.0.weight", RerankerHiddenBias = "reranker.head.0.bias", RerankerScore = "reranker.head.2.weight";

    /// <summary>Optional list of ints: embedding layer read by each reranker block.</summary>
    public const string RerankerLayerIndex = "reranker_layer_idx";

    /// <summary>Task head parts, relative to <see cref="HeadPrefix"/>: fc1 and fc2 [C, C], norm [C].</summary>
    public const string HeadFc1 = "fc1.weight", HeadFc2 = "fc2.weight", HeadNormWeight = "norm.weight", HeadNormBias = "norm.bias";

    /// <summary>The task heads in checkpoint order.</summary>
    public static IReadOnlyList<EmbeddingTask> Heads { get; } = [EmbeddingTask.Classification, EmbeddingTask.Similarity, EmbeddingTask.Retrieval];

    /// <summary>Key prefix of a task head, e.g. <c>head.retr_head.</c>.</summary>
    public static string HeadPrefix(EmbeddingTask task) => task switch
    {
        EmbeddingTask.Retrieval => "head.retr_head.",
        EmbeddingTask.Classification => "head.cls_head.",
        EmbeddingTask.Similarity => "head.sts_head.",
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "unknown task"),
    };

    // ---- block keys (relative to "<prefix><layer>.") ----

    /// <summary>[C] ln0, present in block 0 only (applied once to the input).</summary>
    public const string Ln0Weight = "ln0.weight", Ln0Bias = "ln0.bias";

    /// <summary>[C] pre-norms of the time mix (ln1) and channel mix (ln2).</summary>
    public const string Ln1Weight = "ln1.weight", Ln1Bias = "ln1.bias", Ln2Weight = "ln2.weight", Ln2Bias = "ln2.bias";

    /// <summary>[1, 1, C] token-shift lerp coefficients of the time mix.</summary>
    public const string MixR = "att.x_r", MixW = "att.x_w", MixK = "att.x_k", MixV = "att.x_v", MixA = "att.x_a", MixG = "att.x_g";

    /// <summary>The time-mix lerps in the order the kernels and the CPU pass write them (r, w, k, v, a, g).</summary>
    public static IReadOnlyList<string> TimeMixKeys { get; } = [MixR, MixW, MixK, MixV, MixA, MixG];

    /// <summary>[1, 1, C] biases of decay, in-context rate and value residual; k_k and k_a of the key update.</summary>
    public const string W0 = "att.w0", A0 = "att.a0", V0 = "att.v0", KK = "att.k_k", KA = "att.k_a";

    /// <summary>[H, 64] bonus of the current token.</summary>
    public const string RK = "att.r_k";

    /// <summary>LoRA pairs [C, D] and [D, C]: decay (w), in-context rate (a), value residual (v, layers > 0), gate (g).</summary>
    public const string W1 = "att.w1", W2 = "att.w2", A1 = "att.a1", A2 = "att.a2", V1 = "att.v1", V2 = "att.v2", G1 = "att.g1", G2 = "att.g2";

    /// <summary>[C, C] projections of the time mix.</summary>
    public const string Receptance = "att.receptance.weight", Key = "att.key.weight", Value = "att.value.weight", Output = "att.output.weight";

    /// <summary>[C] per-head GroupNorm of the wkv output.</summary>
    public const string LnXWeight = "att.ln_x.weight", LnXBias = "att.ln_x.bias";

    /// <summary>Channel mix: [1, 1, C] lerp, [4C, C] key and [C, 4C] value projections.</summary>
    public const string FfnMix = "ffn.x_k", FfnKey = "ffn.key.weight", FfnValue = "ffn.value.weight";

    /// <summary>The full key of block tensor <paramref name="key"/>, e.g. <c>rwkv.blocks.3.att.w1</c>.</summary>
    public static string BlockKey(string prefix, int layer, string key) => $"{prefix}{layer}.{key}";

    /// <summary>
    /// Every tensor of block <paramref name="layer"/> (keys relative to the block), in checkpoint order. The value-residual
    /// LoRA exists from layer 1 on; ln0 is not listed (see <see cref="Embedding"/>/<see cref="Reranker"/>).
    /// </summary>
    public static IEnumerable<TensorSpec> Block(ModelConfig config, int layer)
    {
        ArgumentNullException.ThrowIfNull(config);
        int c = config.Channels, f = config.FfnWidth;
        int[] vec = [1, 1, c];
        yield return new(Ln1Weight, TensorKind.Vector, [c]);
        yield return new(Ln1Bias, TensorKind.Vector, [c]);
        yield return new(Ln2Weight, TensorKind.Vector, [c]);
        yield return new(Ln2Bias, TensorKind.Vector, [c]);
        foreach (var x in TimeMixKeys) yield return new(x, TensorKind.Vector, vec);
        yield return new(W0, TensorKind.Vector, vec);
        yield return new(W1, TensorKind.Lora, [c, config.DecayLora]);
        yield return new(W2, TensorKind.Lora, [config.DecayLora, c]);
        yield return new(A0, TensorKind.Vector, vec);
        yield return new(A1, TensorKind.Lora, [c, config.AlphaLora]);
        yield return new(A2, TensorKind.Lora, [config.AlphaLora, c]);
        if (layer > 0)
        {
            yield return new(V0, TensorKind.Vector, vec);
            yield return new(V1, TensorKind.Lora, [c, config.ValueLora]);
            yield return new(V2, TensorKind.Lora, [config.ValueLora, c]);
        }
        yield return new(G1, TensorKind.Lora, [c, config.GateLora]);
        yield return new(G2, TensorKind.Lora, [config.GateLora, c]);
        yield return new(KK, TensorKind.Vector, vec);
        yield return new(KA, TensorKind.Vector, vec);
        yield return new(RK, TensorKind.Vector, [config.Heads, HeadSize]);
        foreach (var m in new[] { Receptance, Key, Value, Output }) yield return new(m, TensorKind.Linear, [c, c]);
        yield return new(LnXWeight, TensorKind.Vector, [c]);
        yield return new(LnXBias, TensorKind.Vector, [c]);
        yield return new(FfnMix, TensorKind.Vector, vec);
        yield return new(FfnKey, TensorKind.Linear, [f, c]);
        yield return new(FfnValue, TensorKind.Linear, [c, f]);
    }

    /// <summary>Every tensor of an embedding checkpoint of shape <paramref name="config"/> (full keys), in checkpoint order.</summary>
    public static IEnumerable<TensorSpec> Embedding(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int c = config.Channels;
        yield return new(EmbeddingTable, TensorKind.Table, [VocabSize, c]);
        foreach (var t in Blocks(config, EmbeddingPrefix)) yield return t;
        yield return new(EmbeddingLnOutWeight, TensorKind.Vector, [c]);
        yield return new(EmbeddingLnOutBias, TensorKind.Vector, [c]);
        foreach (var task in Heads)
        {
            var p = HeadPrefix(task);
            yield return new(p + HeadFc1, TensorKind.Linear, [c, c]);
            yield return new(p + HeadFc2, TensorKind.Linear, [c, c]);
            yield return new(p + HeadNormWeight, TensorKind.Vector, [c]);
            yield return new(p + HeadNormBias, TensorKind.Vector, [c]);
        }
    }

    /// <summary>
    /// Every tensor of a reranker checkpoint whose blocks have shape <paramref name="blocks"/> and whose start vector is
    /// stored under <paramref name="startKey"/> (one of <see cref="RerankerStartKeys"/>), in checkpoint order.
    /// </summary>
    public static IEnumerable<TensorSpec> Reranker(ModelConfig blocks, string startKey)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        int c = blocks.Channels;
        yield return new(startKey, TensorKind.Table, [1, c]);
        foreach (var t in Blocks(blocks, RerankerPrefix)) yield return t;
        yield return new(RerankerLnOutWeight, TensorKind.Vector, [c]);
        yield return new(RerankerLnOutBias, TensorKind.Vector, [c]);
        yield return new(RerankerHidden, TensorKind.Linear, [c, c]);
        yield return new(RerankerHiddenBias, TensorKind.Vector, [c]);
        yield return new(RerankerScore, TensorKind.Vector, [1, c]);
    }

    // ln0 of block 0, then every block's tensors, with full keys.
    private static IEnumerable<TensorSpec> Blocks(ModelConfig config, string prefix)
    {
        int c = config.Channels;
        for (int i = 0; i < config.Layers; i++)
        {
            if (i == 0)
            {
                yield return new(BlockKey(prefix, 0, Ln0Weight), TensorKind.Vector, [c]);
                yield return new(BlockKey(prefix, 0, Ln0Bias), TensorKind.Vector, [c]);
            }
            foreach (var t in Block(config, i)) yield return t with { Key = BlockKey(prefix, i, t.Key) };
        }
    }
}
