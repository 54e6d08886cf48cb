using RwkvNative.Checkpoints;

namespace RwkvNative.Model;

/// <summary>
/// Infers <see cref="ModelConfig"/> / <see cref="RerankerConfig"/> from checkpoint keys and shapes and checks that every
/// key the math needs is present with the right shape (errors name the key, expected and actual shape).
/// </summary>
public static class ConfigReader
{
    /// <summary>Key prefix of the embedding model's blocks.</summary>
    public const string EmbeddingPrefix = "rwkv.blocks.";

    /// <summary>Key prefix of the reranker's blocks.</summary>
    public const string RerankerPrefix = "reranker.blocks.";

    /// <summary>Reads and validates an embedding checkpoint's shape.</summary>
    public static ModelConfig ReadEmbedding(Checkpoint ckpt)
    {
        ArgumentNullException.ThrowIfNull(ckpt);
        var emb = ckpt.Get("rwkv.emb.weight");
        if (emb.Shape.Count != 2 || emb.Shape[0] != ModelConfig.VocabSize)
            throw new CheckpointException($"{ckpt.Path}: key 'rwkv.emb.weight' has shape [{string.Join(", ", emb.Shape)}], expected [{ModelConfig.VocabSize}, C]");
        int c = emb.Shape[1];
        var config = ReadBlocks(ckpt, EmbeddingPrefix, c, "rwkv.emb.weight");
        ckpt.Get("rwkv.ln_out.weight", c);
        ckpt.Get("rwkv.ln_out.bias", c);
        foreach (var head in new[] { "cls_head", "sts_head", "retr_head" })
        {
            ckpt.Get($"head.{head}.fc1.weight", c, c);
            ckpt.Get($"head.{head}.fc2.weight", c, c);
            ckpt.Get($"head.{head}.norm.weight", c);
            ckpt.Get($"head.{head}.norm.bias", c);
        }
        return config;
    }

    /// <summary>Reads and validates a reranker checkpoint's shape.</summary>
    public static RerankerConfig ReadReranker(Checkpoint ckpt)
    {
        ArgumentNullException.ThrowIfNull(ckpt);
        string key = ckpt.Tensors.ContainsKey("reranker.emb.weight") ? "reranker.emb.weight"
            : ckpt.Tensors.ContainsKey("reranker.token.weight") ? "reranker.token.weight"
            : throw new CheckpointException($"{ckpt.Path}: not a reranker checkpoint: neither 'reranker.emb.weight' nor 'reranker.token.weight' is present");
        var start = ckpt.Get(key);
        if (start.Shape.Count != 2 || start.Shape[0] != 1)
            throw new CheckpointException($"{ckpt.Path}: key '{key}' has shape [{string.Join(", ", start.Shape)}], expected [1, C]");
        int c = start.Shape[1];
        var blocks = ReadBlocks(ckpt, RerankerPrefix, c, key);
        ckpt.Get("reranker.ln_out.weight", c);
        ckpt.Get("reranker.ln_out.bias", c);
        ckpt.Get("reranker.head.0.weight", c, c);
        ckpt.Get("reranker.head.0.bias", c);
        ckpt.Get("reranker.head.2.weight", 1, c);

        int[] layers;
        if (ckpt.Values.TryGetValue("reranker_layer_idx", out var raw))
        {
            layers = raw switch
            {
                long[] l => Array.ConvertAll(l, v => v is >= 0 and <= int.MaxValue ? (int)v : -1),
                int[] i => (int[])i.Clone(),
                _ => throw new CheckpointException($"{ckpt.Path}: 'reranker_layer_idx' is a {raw.GetType().Name}, expected a list of ints"),
            };
            if (layers.Length != blocks.Layers)
                throw new CheckpointException($"{ckpt.Path}: 'reranker_layer_idx' has {layers.Length} entries but the reranker has {blocks.Layers} blocks");
            if (Array.Exists(layers, v => v < 0))
                throw new CheckpointException($"{ckpt.Path}: 'reranker_layer_idx' holds a negative or too large layer number");
        }
        else
        {
            layers = Enumerable.Range(0, blocks.Layers).ToArray();
        }
        return new RerankerConfig(blocks, layers, key);
    }

    /// <summary>Throws unless <paramref name="reranker"/> can read states of <paramref name="model"/>.</summary>
    public static void CheckPairing(ModelConfig model, RerankerConfig reranker)
    {
        if (reranker.Blocks.Channels != model.Channels)
            throw new ArgumentException(
                $"the reranker is {reranker.Blocks.Channels} wide but the embedding model is {model.Channels} wide: they are not a pair");
        foreach (var l in reranker.LayerIndices)
            if (l >= model.Layers)
                throw new ArgumentException(
                    $"the reranker reads embedding layer {l} but the embedding model has only {model.Layers} layers: they are not a pair");
    }

    private static ModelConfig ReadBlocks(Checkpoint ckpt, string prefix, int c, string widthKey)
    {
        if (c <= 0 || c % ModelConfig.HeadSize != 0)
            throw new CheckpointException($"{ckpt.Path}: width C={c} (from '{widthKey}') is not a positive multiple of the head size 64");
        int layers = 0;
        while (ckpt.Tensors.ContainsKey($"{prefix}{layers}.ln1.weight")) layers++;
        if (layers == 0) throw new CheckpointException($"{ckpt.Path}: no blocks: key '{prefix}0.ln1.weight' is missing");
        int dw = LoraWidth(ckpt, $"{prefix}0.att.w1", c);
        int da = LoraWidth(ckpt, $"{prefix}0.att.a1", c);
        int dg = LoraWidth(ckpt, $"{prefix}0.att.g1", c);
        int dv = layers > 1 ? LoraWidth(ckpt, $"{prefix}1.att.v1", c) : 0;
        var config = new ModelConfig(layers, c, dw, da, dv, dg);
        ckpt.Get($"{prefix}0.ln0.weight", c);
        ckpt.Get($"{prefix}0.ln0.bias", c);
        for (int i = 0; i < layers; i++)
            foreach (var (name, shape) in BlockTensors(config, i))
                ckpt.Get(prefix + name, shape);
        return config;
    }

    private static int LoraWidth(Checkpoint ckpt, string key, int c)
    {
        var t = ckpt.Get(key);
        if (t.Shape.Count != 2 || t.Shape[0] != c || t.Shape[1] <= 0)
            throw new CheckpointException($"{ckpt.Path}: key '{key}' has shape [{string.Join(", ", t.Shape)}], expected [{c}, D]");
        return t.Shape[1];
    }

    /// <summary>Every tensor of block <paramref name="i"/> (key relative to the block prefix) with its shape.</summary>
    public static IEnumerable<(string Key, int[] Shape)> BlockTensors(ModelConfig config, int i)
    {
        int c = config.Channels, h = config.Heads;
        string p = $"{i}.";
        foreach (var n in new[] { "ln1.weight", "ln1.bias", "ln2.weight", "ln2.bias", "att.ln_x.weight", "att.ln_x.bias" })
            yield return (p + n, [c]);
        foreach (var n in new[] { "x_r", "x_w", "x_k", "x_v", "x_a", "x_g", "w0", "a0", "k_k", "k_a" })
            yield return (p + "att." + n, [1, 1, c]);
        yield return (p + "att.r_k", [h, ModelConfig.HeadSize]);
        yield return (p + "att.w1", [c, config.DecayLora]);
        yield return (p + "att.w2", [config.DecayLora, c]);
        yield return (p + "att.a1", [c, config.AlphaLora]);
        yield return (p + "att.a2", [config.AlphaLora, c]);
        yield return (p + "att.g1", [c, config.GateLora]);
        yield return (p + "att.g2", [config.GateLora, c]);
        if (i > 0)
        {
            yield return (p + "att.v0", [1, 1, c]);
            yield return (p + "att.v1", [c, config.ValueLora]);
            yield return (p + "att.v2", [config.ValueLora, c]);
        }
        foreach (var n in new[] { "receptance", "key", "value", "output" })
            yield return (p + "att." + n + ".weight", [c, c]);
        yield return (p + "ffn.x_k", [1, 1, c]);
        yield return (p + "ffn.key.weight", [config.FfnWidth, c]);
        yield return (p + "ffn.value.weight", [c, config.FfnWidth]);
    }
}
