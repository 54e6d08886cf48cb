using RwkvNative.Checkpoints;

namespace RwkvNative.Model;

/// <summary>
/// Infers <see cref="ModelConfig"/> / <see cref="RerankerConfig"/> from checkpoint keys and shapes and checks every
/// tensor <see cref="ModelSchema"/> lists is present with its shape (errors name the key, expected and actual shape).
/// </summary>
public static class ConfigReader
{
    /// <summary>Reads and validates an embedding checkpoint's shape.</summary>
    public static ModelConfig ReadEmbedding(Checkpoint ckpt)
    {
        ArgumentNullException.ThrowIfNull(ckpt);
        var emb = ckpt.Get(ModelSchema.EmbeddingTable);
        if (emb.Shape.Count != 2 || emb.Shape[0] != ModelSchema.VocabSize)
            throw new CheckpointException($"{ckpt.Path}: key '{ModelSchema.EmbeddingTable}' has shape [{string.Join(", ", emb.Shape)}], expected [{ModelSchema.VocabSize}, C]");
        var config = InferBlocks(ckpt, ModelSchema.EmbeddingPrefix, emb.Shape[1], ModelSchema.EmbeddingTable);
        Validate(ckpt, ModelSchema.Embedding(config));
        return config;
    }

    /// <summary>Reads and validates a reranker checkpoint's shape.</summary>
    public static RerankerConfig ReadReranker(Checkpoint ckpt)
    {
        ArgumentNullException.ThrowIfNull(ckpt);
        string key = ModelSchema.RerankerStartKeys.FirstOrDefault(ckpt.Tensors.ContainsKey)
            ?? throw new CheckpointException(
                $"{ckpt.Path}: not a reranker checkpoint: neither '{string.Join("' nor '", ModelSchema.RerankerStartKeys)}' is present");
        var start = ckpt.Get(key);
        if (start.Shape.Count != 2 || start.Shape[0] != 1)
            throw new CheckpointException($"{ckpt.Path}: key '{key}' has shape [{string.Join(", ", start.Shape)}], expected [1, C]");
        var blocks = InferBlocks(ckpt, ModelSchema.RerankerPrefix, start.Shape[1], key);
        Validate(ckpt, ModelSchema.Reranker(blocks, key));

        int[] layers;
        if (ckpt.Values.TryGetValue(ModelSchema.RerankerLayerIndex, out var raw))
        {
            layers = raw switch
            {
                long[] l => Array.ConvertAll(l, v => v is >= 0 and <= int.MaxValue ? (int)v : -1),
                int[] i => (int[])i.Clone(),
                _ => throw new CheckpointException($"{ckpt.Path}: '{ModelSchema.RerankerLayerIndex}' is a {raw.GetType().Name}, expected a list of ints"),
            };
            if (layers.Length != blocks.Layers)
                throw new CheckpointException($"{ckpt.Path}: '{ModelSchema.RerankerLayerIndex}' has {layers.Length} entries but the reranker has {blocks.Layers} blocks");
            if (Array.Exists(layers, v => v < 0))
                throw new CheckpointException($"{ckpt.Path}: '{ModelSchema.RerankerLayerIndex}' holds a negative or too large layer number");
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

    // Layers from the ln1 keys present, LoRA widths from layer 0 (layer 1 for the value residual, absent in layer 0).
    private static ModelConfig InferBlocks(Checkpoint ckpt, string prefix, int c, string widthKey)
    {
        if (c <= 0 || c % ModelSchema.HeadSize != 0)
            throw new CheckpointException($"{ckpt.Path}: width C={c} (from '{widthKey}') is not a positive multiple of the head size {ModelSchema.HeadSize}");
        int layers = 0;
        while (ckpt.Tensors.ContainsKey(ModelSchema.BlockKey(prefix, layers, ModelSchema.Ln1Weight))) layers++;
        if (layers == 0) throw new CheckpointException($"{ckpt.Path}: no blocks: key '{ModelSchema.BlockKey(prefix, 0, ModelSchema.Ln1Weight)}' is missing");
        int dw = LoraWidth(ckpt, ModelSchema.BlockKey(prefix, 0, ModelSchema.W1), c);
        int da = LoraWidth(ckpt, ModelSchema.BlockKey(prefix, 0, ModelSchema.A1), c);
        int dg = LoraWidth(ckpt, ModelSchema.BlockKey(prefix, 0, ModelSchema.G1), c);
        int dv = layers > 1 ? LoraWidth(ckpt, ModelSchema.BlockKey(prefix, 1, ModelSchema.V1), c) : 0;
        return new ModelConfig(layers, c, dw, da, dv, dg);
    }

    private static void Validate(Checkpoint ckpt, IEnumerable<TensorSpec> specs)
    {
        foreach (var spec in specs) ckpt.Get(spec.Key, spec.Shape);
    }

    private static int LoraWidth(Checkpoint ckpt, string key, int c)
    {
        var t = ckpt.Get(key);
        if (t.Shape.Count != 2 || t.Shape[0] != c || t.Shape[1] <= 0)
            throw new CheckpointException($"{ckpt.Path}: key '{key}' has shape [{string.Join(", ", t.Shape)}], expected [{c}, D]");
        return t.Shape[1];
    }
}
