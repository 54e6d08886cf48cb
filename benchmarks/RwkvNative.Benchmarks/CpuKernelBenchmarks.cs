using BenchmarkDotNet.Attributes;
using RwkvNative.Cpu;

namespace RwkvNative.Benchmarks;

/// <summary>
/// The CPU backend's non-GEMM building blocks on one core: the wkv7 recurrence of one head (the 512-bit path where the
/// machine has it, and the portable Vector&lt;T&gt; path) and LayerNorm over rows of the model's widths.
/// <c>--filter '*CpuKernelBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class CpuKernelBenchmarks
{
    private const int N = 64;
    private float[] _r = null!, _decay = null!, _k = null!, _v = null!, _kk = null!, _ag = null!, _y = null!, _state = null!;
    private float[] _rows = null!, _w = null!, _b = null!, _normed = null!;

    /// <summary>Tokens of one sequence run through one head (1 = one decoding step).</summary>
    [Params(1, 256)]
    public int T { get; set; }

    /// <summary>Model width (rows of the LayerNorm; the wkv7 head reads 64 of them).</summary>
    [Params(768, 2048)]
    public int C { get; set; }

    /// <summary>Random activations in realistic ranges (decay in (0.545, 1), kk unit-norm-ish).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(7);
        float[] Fill(int n, float lo, float hi) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = lo + (float)rng.NextDouble() * (hi - lo); return a; }
        int n = T * C;
        _r = Fill(n, -1, 1); _decay = Fill(n, 0.55f, 0.99f); _k = Fill(n, -1, 1); _v = Fill(n, -1, 1);
        _kk = Fill(n, -0.125f, 0.125f); _ag = Fill(n, 0, 1); _y = new float[n]; _state = Fill(N * N, -0.5f, 0.5f);
        _rows = Fill(n, -2, 2); _w = Fill(C, 0.5f, 1.5f); _b = Fill(C, -0.1f, 0.1f); _normed = new float[n];
    }

    /// <summary>wkv7 over T tokens of one head, widest SIMD path.</summary>
    [Benchmark]
    public void Wkv7Head() => Wkv7.Run(T, C, 0, _r, _decay, _k, _v, _kk, _ag, _state, _y);

    /// <summary>wkv7 over T tokens of one head, portable Vector&lt;T&gt; path.</summary>
    [Benchmark]
    public void Wkv7HeadPortable() => Wkv7.Run(T, C, 0, _r, _decay, _k, _v, _kk, _ag, _state, _y, allowWide: false);

    /// <summary>LayerNorm of T rows of width C (eps 1e-5).</summary>
    [Benchmark]
    public void LayerNormRows() => Ops.LayerNormRows(_rows, T, _w, _b, _normed);
}
