using System.Numerics;
using System.Runtime.CompilerServices;
using RwkvNative.Model;

namespace RwkvNative.Cpu;

/// <summary>
/// Row-wise element operations of the CPU backend (LayerNorm, activations), vectorised with <see cref="Vector{T}"/>.
/// Rows are contiguous spans; every element of a row goes through the same code whatever the row's position, so a row's
/// result depends only on its own inputs.
/// </summary>
internal static class Ops
{
    /// <summary>y = (x - mean) / sqrt(var + eps) * w + b over one row (biased variance, float32 like upstream).</summary>
    public static void LayerNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y, float eps = ModelSchema.LayerNormEps)
    {
        int n = x.Length, vw = Vector<float>.Count, i = 0;
        float mean = Sum(x) / n;
        var vmean = new Vector<float>(mean);
        var acc = Vector<float>.Zero;
        for (; i <= n - vw; i += vw)
        {
            var d = new Vector<float>(x[i..]) - vmean;
            acc += d * d;
        }
        float var = Vector.Sum(acc);
        for (; i < n; i++) { float d = x[i] - mean; var += d * d; }
        var /= n;
        float inv = 1f / MathF.Sqrt(var + eps);
        var vinv = new Vector<float>(inv);
        for (i = 0; i <= n - vw; i += vw)
            ((new Vector<float>(x[i..]) - vmean) * vinv * new Vector<float>(w[i..]) + new Vector<float>(b[i..])).CopyTo(y[i..]);
        for (; i < n; i++) y[i] = (x[i] - mean) * inv * w[i] + b[i];
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
        for (; i <= x.Length - vw; i += vw) acc += new Vector<float>(x[i..]);
        float s = Vector.Sum(acc);
        for (; i < x.Length; i++) s += x[i];
        return s;
    }

    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var acc = Vector<float>.Zero;
        int i = 0, vw = Vector<float>.Count;
        for (; i <= a.Length - vw; i += vw) acc += new Vector<float>(a[i..]) * new Vector<float>(b[i..]);
        float s = Vector.Sum(acc);
        for (; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>
    /// e^x per lane in float32 (within 2 ulp of MathF.Exp; inputs clamped to [-87.3, 88], so the result is a tiny
    /// positive number rather than 0 far left, and finite far right). Vector.Exp computes in double and is slower than
    /// scalar code here; this is the classic range reduction x = n ln2 + r with a degree-6 polynomial for e^r.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Exp(Vector<float> x)
    {
        x = Vector.Min(Vector.Max(x, new Vector<float>(-87.3f)), new Vector<float>(88.0f));
        var n = Vector.Round(x * new Vector<float>(1.44269504088896341f));
        // r = x - n ln2, with ln2 split in a short high part (exact product) and a low correction.
        var r = Vector.FusedMultiplyAdd(n, new Vector<float>(-0.693359375f), x);
        r = Vector.FusedMultiplyAdd(n, new Vector<float>(2.12194440e-4f), r);
        var p = new Vector<float>(1.9875691500e-4f);
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(1.3981999507e-3f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(8.3334519073e-3f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(4.1665795894e-2f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(1.6666665459e-1f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(5.0000001201e-1f));
        p = Vector.FusedMultiplyAdd(p, r * r, r) + Vector<float>.One;
        var scale = Vector.ShiftLeft(Vector.ConvertToInt32(n) + new Vector<int>(127), 23).As<int, float>();
        return p * scale;
    }

    /// <summary>1 / (1 + e^-x) per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Sigmoid(Vector<float> x) => Vector<float>.One / (Vector<float>.One + Exp(-x));

    /// <summary>tanh x = 1 - 2 / (e^2x + 1) per lane (absolute error ~1e-7 near 0, ±1 far out).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Tanh(Vector<float> x) =>
        Vector<float>.One - new Vector<float>(2f) / (Exp(x + x) + Vector<float>.One);

    public static void Add(Span<float> y, ReadOnlySpan<float> x)
    {
        int i = 0, vw = Vector<float>.Count;
        for (; i <= y.Length - vw; i += vw) (new Vector<float>(y[i..]) + new Vector<float>(x[i..])).CopyTo(y[i..]);
        for (; i < y.Length; i++) y[i] += x[i];
    }

    /// <summary>x = act(x) in place over a whole buffer (C is a multiple of the vector width, so no row ever takes a scalar tail).</summary>
    public static void Activate(Span<float> x, Activation act)
    {
        int i = 0, vw = Vector<float>.Count;
        switch (act)
        {
            case Activation.Tanh:
                for (; i <= x.Length - vw; i += vw) Tanh(new Vector<float>(x[i..])).CopyTo(x[i..]);
                for (; i < x.Length; i++) x[i] = MathF.Tanh(x[i]);
                break;
            case Activation.Sigmoid:
                for (; i <= x.Length - vw; i += vw) Sigmoid(new Vector<float>(x[i..])).CopyTo(x[i..]);
                for (; i < x.Length; i++) x[i] = Sigmoid(x[i]);
                break;
            case Activation.ReluSquared:
                for (; i <= x.Length - vw; i += vw)
                {
                    var h = Vector.Max(new Vector<float>(x[i..]), Vector<float>.Zero);
                    (h * h).CopyTo(x[i..]);
                }
                for (; i < x.Length; i++) { float h = MathF.Max(x[i], 0f); x[i] = h * h; }
                break;
        }
    }
}
