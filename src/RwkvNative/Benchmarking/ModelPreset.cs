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
