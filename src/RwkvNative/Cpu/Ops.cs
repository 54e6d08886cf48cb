using System.Numerics;
using System.Runtime.CompilerServices;

namespace RwkvNative.Cpu;

/// <summary>Row-wise element operations of the CPU backend (LayerNorm, activations). Rows are contiguous [C] spans.</summary>
internal static class Ops
{
    public const float LayerNormEps = 1e-5f;

    /// <summary>y = (x - mean) / sqrt(var + eps) * w + b over one row (biased variance, float32 like upstream).</summary>
    public static void LayerNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, float eps = LayerNormEps)
    {
        int n = x.Length;
        float mean = Sum(x) / n;
        float var = 0;
        for (int i = 0; i < n; i++) { float d = x[i] - mean; var += d * d; }
        var /= n;
        float inv = 1f / MathF.Sqrt(var + eps);
        for (int i = 0; i < n; i++) y[i] = (x[i] - mean) * inv * w[i] + b[i];
    }

    /// <summary>LayerNorm of each of <paramref name="rows"/> rows of width <c>w.Length</c>.</summary>
    public static void LayerNormRows(ReadOnlySpan<float> x, int rows, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y)
    {
        int c = w.Length;
        for (int t = 0; t < rows; t++) LayerNorm(x.Slice(t * c, c), w, b, y.Slice(t * c, c));
    }

    public static float Sum(ReadOnlySpan<float> x)
    {
        var acc = Vector<float>.Zero;
        int i = 0, vw = Vector<float>.Count;
        for (; i <= x.Length - vw; i += vw) acc += new Vector<float>(x.Slice(i));
        float s = Vector.Sum(acc);
        for (; i < x.Length; i++) s += x[i];
        return s;
    }

    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var acc = Vector<float>.Zero;
        int i = 0, vw = Vector<float>.Count;
        for (; i <= a.Length - vw; i += vw) acc += new Vector<float>(a.Slice(i)) * new Vector<float>(b.Slice(i));
        float s = Vector.Sum(acc);
        for (; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    public static void Add(Span<float> y, ReadOnlySpan<float> x)
    {
        int i = 0, vw = Vector<float>.Count;
        for (; i <= y.Length - vw; i += vw) (new Vector<float>(y.Slice(i)) + new Vector<float>(x.Slice(i))).CopyTo(y.Slice(i));
        for (; i < y.Length; i++) y[i] += x[i];
    }
}
