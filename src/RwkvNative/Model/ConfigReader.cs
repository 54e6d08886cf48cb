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
        if (!Holds(ckpt, ModelSchema.EmbeddingTable) && ModelSchema.RerankerStartKeys.Any(k => Holds(ckpt, k)))
            throw new CheckpointException($"{ckpt.Path}: this is a reranker checkpoint (it has reranker.* keys and no '{ModelSchema.EmbeddingTable}'), not an embedding model: pass it as the reranker");
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
        string key = ModelSchema.RerankerStartKeys.FirstOrDefault(k => Holds(ckpt, k))
            ?? throw new CheckpointException(
                $"{ckpt.Path}: not a reranker checkpoint: neither '{string.Join("' nor '", ModelSchema.RerankerStartKeys)}' is present" +
                (Holds(ckpt, ModelSchema.EmbeddingTable) ? $"; it is an embedding model checkpoint (it has '{ModelSchema.EmbeddingTable}'): pass it as the model" : ""));
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
        int layers = CountBlocks(ckpt, prefix);
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

    /// <summary>
    /// The number of blocks under <paramref name="prefix"/>: every key <c>{prefix}N.…</c> must name a block number, and the
    /// numbers must run 0..L-1 without a gap, so a checkpoint with blocks 0 and 2 but not 1 is refused, not read as a
    /// 1-layer model. Keys of every dtype count, so a block stored in an unsupported dtype is reported as such later.
    /// </summary>
    private static int CountBlocks(Checkpoint ckpt, string prefix)
    {
        var blocks = new SortedSet<int>();
        foreach (var key in ckpt.Tensors.Keys.Concat(ckpt.UnsupportedTensors.Keys).Concat(ckpt.Values.Keys))
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue;
            int dot = key.IndexOf('.', prefix.Length);
            var number = dot < 0 ? key[prefix.Length..] : key[prefix.Length..dot];
            if (!int.TryParse(number, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) ||
                n.ToString(System.Globalization.CultureInfo.InvariantCulture) != number)
                throw new CheckpointException($"{ckpt.Path}: key '{key}' does not name a block number after '{prefix}'");
            blocks.Add(n);
        }
        if (blocks.Count == 0) throw new CheckpointException($"{ckpt.Path}: no blocks: no key starts with '{prefix}' (expected '{prefix}0.ln1.weight' and the rest of block 0)");
        int layers = blocks.Max + 1;
        if (blocks.Count != layers)
        {
            int missing = Enumerable.Range(0, layers).First(i => !blocks.Contains(i));
            throw new CheckpointException(
                $"{ckpt.Path}: block {missing} is missing ('{prefix}{missing}.*' has no keys) although blocks up to {blocks.Max} are present " +
                $"({blocks.Count} of {layers}); the checkpoint is incomplete or was edited: blocks must be numbered 0..L-1 without gaps");
        }
        return layers;
    }

    /// <summary>True when the checkpoint holds <paramref name="key"/> as a tensor of any dtype.</summary>
    private static bool Holds(Checkpoint ckpt, string key) => ckpt.Tensors.ContainsKey(key) || ckpt.UnsupportedTensors.ContainsKey(key);

    private static int LoraWidth(Checkpoint ckpt, string key, int c)
    {
        var t = ckpt.Get(key);
        if (t.Shape.Count != 2 || t.Shape[0] != c || t.Shape[1] <= 0)
            throw new CheckpointException($"{ckpt.Path}: key '{key}' has shape [{string.Join(", ", t.Shape)}], expected [{c}, D]");
        return t.Shape[1];
    }
}
