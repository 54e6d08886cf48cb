// Seeded random checkpoints with the real upstream shapes, for benchmarks when no trained weights are at hand.
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Benchmarking;

/// <summary>A named model size of the upstream releases: embedding model and reranker block shapes.</summary>
/// <param name="Name">tiny, base or large.</param>
/// <param name="Model">Embedding model shape.</param>
/// <param name="Reranker">Reranker block shape (one block per embedding layer, upstream's LoRA width formulas).</param>
public sealed record ModelPreset(string Name, ModelConfig Model, ModelConfig Reranker)
{
    /// <summary>Tiny 0.1B (L=12, C=768), Base 0.4B (L=24, C=1024), Large 1.4B (L=24, C=2048).</summary>
    public static IReadOnlyList<ModelPreset> All { get; } =
    [
        Create("tiny", 12, 768, 64, 64, 32, 128),
        Create("base", 24, 1024, 64, 64, 32, 128),
        Create("large", 24, 2048, 96, 96, 64, 256),
    ];

    /// <summary>The preset called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No such preset; the message lists them.</exception>
    public static ModelPreset Get(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown preset '{name}' (known: {string.Join(", ", All.Select(p => p.Name))})", nameof(name));

    private static ModelPreset Create(string name, int layers, int c, int dw, int da, int dv, int dg)
    {
        // Upstream's reranker derives its LoRA widths from C (rwkv_emb reranker; same formulas as bench_upstream.py).
        static int Round32(double v, int min) => Math.Max(min, (int)Math.Round(v / 32) * 32);
        int rw = Round32(1.8 * Math.Sqrt(c), 32), rv = Round32(1.3 * Math.Sqrt(c), 32);
        int rg = c == 1024 ? 128 : Round32(0.6 * Math.Pow(c, 0.8), 32);
        return new ModelPreset(name, new ModelConfig(layers, c, dw, da, dv, dg), new ModelConfig(layers, c, rw, rw, rv, rg));
    }
}

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

    private static IEnumerable<(string, int[], byte[])> EmbeddingTensors(ModelConfig cfg, int seed)
    {
        var g = new Uniform(seed);
        int c = cfg.Channels;
        float s = 1f / MathF.Sqrt(c);
        yield return ("rwkv.emb.weight", [ModelConfig.VocabSize, c], g.Bf16(ModelConfig.VocabSize * c, 1f));
        for (int i = 0; i < cfg.Layers; i++)
            foreach (var t in Block(g, $"rwkv.blocks.{i}.", i, cfg)) yield return t;
        foreach (var t in Norm(g, "rwkv.ln_out", c)) yield return t;
        foreach (var head in new[] { "cls_head", "sts_head", "retr_head" })
        {
            yield return ($"head.{head}.fc1.weight", [c, c], g.Bf16(c * c, 1.5f * s));
            yield return ($"head.{head}.fc2.weight", [c, c], g.Bf16(c * c, s));
            foreach (var t in Norm(g, $"head.{head}.norm", c)) yield return t;
        }
    }

    private static IEnumerable<(string, int[], byte[])> RerankerTensors(ModelConfig cfg, int seed)
    {
        var g = new Uniform(seed);
        int c = cfg.Channels;
        float s = 1f / MathF.Sqrt(c);
        yield return ("reranker.emb.weight", [1, c], g.Bf16(c, 1f));
        for (int i = 0; i < cfg.Layers; i++)
            foreach (var t in Block(g, $"reranker.blocks.{i}.", i, cfg)) yield return t;
        foreach (var t in Norm(g, "reranker.ln_out", c)) yield return t;
        yield return ("reranker.head.0.weight", [c, c], g.Bf16(c * c, 1.5f * s));
        yield return ("reranker.head.0.bias", [c], g.Bf16(c, 0.1f));
        yield return ("reranker.head.2.weight", [1, c], g.Bf16(c, 2f * s));
    }

    /// <summary>One block; distributions follow upstream's initialisation ranges (uniform: center ± scale).</summary>
    private static IEnumerable<(string, int[], byte[])> Block(Uniform g, string p, int i, ModelConfig cfg)
    {
        int c = cfg.Channels, h = cfg.Heads, f = cfg.FfnWidth;
        float s = 1f / MathF.Sqrt(c);
        int[] vec = [1, 1, c];
        if (i == 0) foreach (var t in Norm(g, p + "ln0", c)) yield return t;
        foreach (var t in Norm(g, p + "ln1", c)) yield return t;
        foreach (var t in Norm(g, p + "ln2", c)) yield return t;
        string a = p + "att.";
        foreach (var x in new[] { "x_r", "x_w", "x_k", "x_v", "x_a", "x_g" }) yield return (a + x, vec, g.Bf16(c, 0.5f, 0.5f));
        yield return (a + "w0", vec, g.Bf16(c, 2f, -3f));
        yield return (a + "w1", [c, cfg.DecayLora], g.Bf16(c * cfg.DecayLora, 2f * s));
        yield return (a + "w2", [cfg.DecayLora, c], g.Bf16(cfg.DecayLora * c, 0.5f));
        yield return (a + "a0", vec, g.Bf16(c, 1f));
        yield return (a + "a1", [c, cfg.AlphaLora], g.Bf16(c * cfg.AlphaLora, 2f * s));
        yield return (a + "a2", [cfg.AlphaLora, c], g.Bf16(cfg.AlphaLora * c, 0.5f));
        if (i != 0)
        {
            yield return (a + "v0", vec, g.Bf16(c, 0.5f, 0.5f));
            yield return (a + "v1", [c, cfg.ValueLora], g.Bf16(c * cfg.ValueLora, 2f * s));
            yield return (a + "v2", [cfg.ValueLora, c], g.Bf16(cfg.ValueLora * c, 0.5f));
        }
        yield return (a + "g1", [c, cfg.GateLora], g.Bf16(c * cfg.GateLora, 2f * s));
        yield return (a + "g2", [cfg.GateLora, c], g.Bf16(cfg.GateLora * c, 0.5f));
        yield return (a + "k_k", vec, g.Bf16(c, 0.2f, 0.85f));
        yield return (a + "k_a", vec, g.Bf16(c, 0.3f, 1f));
        yield return (a + "r_k", [h, ModelConfig.HeadSize], g.Bf16(c, 0.5f));
        foreach (var m in new[] { "receptance", "key", "value", "output" })
            yield return ($"{a}{m}.weight", [c, c], g.Bf16(c * c, 1.5f * s));
        foreach (var t in Norm(g, a + "ln_x", c)) yield return t;
        yield return (p + "ffn.x_k", vec, g.Bf16(c, 0.5f, 0.5f));
        yield return (p + "ffn.key.weight", [f, c], g.Bf16(f * c, 1.5f * s));
        yield return (p + "ffn.value.weight", [c, f], g.Bf16(c * f, 0.75f * s));
    }

    private static IEnumerable<(string, int[], byte[])> Norm(Uniform g, string name, int c)
    {
        yield return (name + ".weight", [c], g.Bf16(c, 0.2f, 1f));
        yield return (name + ".bias", [c], g.Bf16(c, 0.1f));
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

/// <summary>Arithmetic of the model's matrix products, the part a GEMM roofline covers.</summary>
public static class ModelFlops
{
    /// <summary>
    /// Floating-point operations (2 per multiply-add) of the linear layers for one token: per layer r, k, v, o (4 C²),
    /// the channel mix (8 C²) and the LoRA pairs (2 C D each; no value LoRA in layer 0). The wkv recurrence, norms and
    /// element-wise work (a few percent more) are not counted.
    /// </summary>
    public static double PerToken(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        double c = config.Channels;
        double lora = 2 * c * (config.DecayLora + config.AlphaLora + config.GateLora);
        double perLayer = 12 * c * c + lora;
        return 2 * (config.Layers * perLayer + (config.Layers - 1) * 2 * c * config.ValueLora);
    }
}
