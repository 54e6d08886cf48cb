// Seeded random checkpoints with the real upstream shapes, for benchmarks when no trained weights are at hand.
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Benchmarking;

/// <summary>
/// Writes bf16 safetensors checkpoints of random weights with real key names and shapes (MODEL.md section 1), seeded so
/// a preset and seed always give the same file. Scales keep activations finite and realistic: LayerNorm weights near 1,
/// matrices uniform with standard deviation about 1/sqrt(inputs), decay biases around -3.
/// </summary>
public static class RandomCheckpoint
{
    /// <summary>
    /// The embedding checkpoint of <paramref name="preset"/> in <paramref name="directory"/>, written unless a file of that
    /// preset and seed is already there. Returns its path.
    /// </summary>
    public static string Embedding(ModelPreset preset, string directory, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(preset);
        var path = Path.Combine(directory, $"random-{preset.Name}-s{seed}.emb.safetensors");
        if (!File.Exists(path)) Write(path, EmbeddingTensors(preset.Model, seed));
        return path;
    }

    /// <summary>The reranker checkpoint of <paramref name="preset"/> (reads every embedding layer), written if absent.</summary>
    public static string Reranker(ModelPreset preset, string directory, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(preset);
        var path = Path.Combine(directory, $"random-{preset.Name}-s{seed}.reranker.safetensors");
        if (!File.Exists(path)) Write(path, RerankerTensors(preset.Reranker, seed + 1000));
        return path;
    }

    private static void Write(string path, IEnumerable<(string Name, int[] Shape, byte[] Data)> tensors)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        SafeTensorsWriter.Write(path, tensors.Select(t => (t.Name, TensorDType.BFloat16, t.Shape, t.Data)),
            new Dictionary<string, string> { ["rwkvnative.note"] = "random weights for benchmarking, not a trained model" });
    }

    private static IEnumerable<(string, int[], byte[])> EmbeddingTensors(ModelConfig cfg, int seed) =>
        Generate(ModelSchema.Embedding(cfg), cfg, seed);

    private static IEnumerable<(string, int[], byte[])> RerankerTensors(ModelConfig cfg, int seed) =>
        Generate(ModelSchema.Reranker(cfg, ModelSchema.RerankerStartKeys[0]), cfg, seed);

    // Every tensor of the schema, in checkpoint order, drawn from one stream (so the order fixes the values).
    private static IEnumerable<(string, int[], byte[])> Generate(IEnumerable<TensorSpec> specs, ModelConfig cfg, int seed)
    {
        var g = new Uniform(seed);
        foreach (var spec in specs)
        {
            var (scale, center) = Range(spec, cfg);
            yield return (spec.Key, spec.Shape, g.Bf16(spec.Count, scale, center));
        }
    }

    /// <summary>
    /// The uniform range (center ± scale) of a tensor, following upstream's initialisation: norms near 1, lerps in
    /// [0, 1], decay biases around -3, matrices with standard deviation about 1/sqrt(inputs).
    /// </summary>
    private static (float Scale, float Center) Range(TensorSpec spec, ModelConfig cfg)
    {
        float s = 1f / MathF.Sqrt(cfg.Channels);
        string key = spec.Key;
        string name = key[(key.LastIndexOf('.') + 1)..];
        string Leaf(int parts) => string.Join('.', key.Split('.')[^parts..]);
        if (key == ModelSchema.EmbeddingTable || ModelSchema.RerankerStartKeys.Contains(key)) return (1f, 0f);
        if (key == ModelSchema.RerankerHidden) return (1.5f * s, 0f);
        if (key == ModelSchema.RerankerHiddenBias) return (0.1f, 0f);
        if (key == ModelSchema.RerankerScore) return (2f * s, 0f);
        if (key.StartsWith("head.", StringComparison.Ordinal))
            return Leaf(2) switch
            {
                ModelSchema.HeadFc1 => (1.5f * s, 0f),
                ModelSchema.HeadFc2 => (s, 0f),
                ModelSchema.HeadNormWeight => (0.2f, 1f),
                _ => (0.1f, 0f),
            };
        return Leaf(2) switch
        {
            ModelSchema.MixR or ModelSchema.MixW or ModelSchema.MixK or ModelSchema.MixV or ModelSchema.MixA or ModelSchema.MixG
                or ModelSchema.V0 or ModelSchema.FfnMix => (0.5f, 0.5f),
            ModelSchema.W0 => (2f, -3f),
            ModelSchema.A0 => (1f, 0f),
            ModelSchema.KK => (0.2f, 0.85f),
            ModelSchema.KA => (0.3f, 1f),
            ModelSchema.RK => (0.5f, 0f),
            ModelSchema.W1 or ModelSchema.A1 or ModelSchema.V1 or ModelSchema.G1 => (2f * s, 0f),
            ModelSchema.W2 or ModelSchema.A2 or ModelSchema.V2 or ModelSchema.G2 => (0.5f, 0f),
            _ when Leaf(3) is ModelSchema.Receptance or ModelSchema.Key or ModelSchema.Value or ModelSchema.Output or ModelSchema.FfnKey => (1.5f * s, 0f),
            _ when Leaf(3) == ModelSchema.FfnValue => (0.75f * s, 0f),
            _ when name == "weight" => (0.2f, 1f), // LayerNorm / GroupNorm weights
            _ when name == "bias" => (0.1f, 0f),
            _ => throw new InvalidOperationException($"no initialisation range for schema tensor '{key}'"),
        };
    }

    /// <summary>A small, fast, seeded generator (xorshift64*) of bf16 uniforms.</summary>
    private sealed class Uniform(int seed)
    {
        private ulong _state = 0x9E3779B97F4A7C15UL ^ (ulong)(uint)seed * 0xD1B54A32D192ED03UL | 1;

        /// <summary><paramref name="count"/> values uniform in center ± scale, as little-endian bf16 bytes (rounded to nearest even).</summary>
        public byte[] Bf16(int count, float scale, float center = 0f)
        {
            var bytes = new byte[count * 2];
            for (int i = 0; i < count; i++)
            {
                _state ^= _state >> 12;
                _state ^= _state << 25;
                _state ^= _state >> 27;
                ulong r = _state * 0x2545F4914F6CDD1DUL;
                float u = (r >> 40) * (1f / (1 << 24)) * 2f - 1f; // [-1, 1)
                uint bits = BitConverter.SingleToUInt32Bits(center + u * scale);
                ushort b = (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
                bytes[2 * i] = (byte)b;
                bytes[2 * i + 1] = (byte)(b >> 8);
            }
            return bytes;
        }
    }
}
