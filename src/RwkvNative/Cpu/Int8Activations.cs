using System.Numerics;

namespace RwkvNative.Cpu;

/// <summary>
/// Run-time quantisation of activations for the int8 GEMM, one scale per row, stored as unsigned bytes u (the form
/// vpdpbusd and vpmaddubsw multiply):
/// a row with negative values: s = max_k |x[k]| / 127, u = round-to-even(x[k] · 127 / max) + 128 (signed, offset 128;
/// the weights' <see cref="Int8Weight.OffsetCorrection"/> takes the 128 back out);
/// a row with none (relu², sigmoid outputs): s = max / 255, u = round-to-even(x[k] · 255 / max), twice the resolution;
/// the epilogue then adds the 128 · Σ Q back.
/// The vector and scalar loops perform the same IEEE operations, so a row quantises to the same bytes on every path.
/// </summary>
internal static unsafe class Int8Activations
{
    /// <summary>
    /// x: [rows, k] float32 row-major (stride <paramref name="k"/>); u: [rows, kp] bytes (kp ≥ k, multiple of 4; the
    /// padding holds the row's zero point); scales: [rows] (s, or NaN for a row holding a non-finite value: its outputs
    /// become NaN as in float32); unsigned: [rows], whether the row took the unsigned form.
    /// </summary>
    public static void QuantizeRows(float* x, int rows, int k, byte* u, int kp, float* scales, bool* unsigned)
    {
        for (int r = 0; r < rows; r++)
            scales[r] = QuantizeRow(x + (long)r * k, k, u + (long)r * kp, kp, out unsigned[r]);
    }

    private static float QuantizeRow(float* x, int k, byte* u, int kp, out bool unsigned)
    {
        int vw = Vector<float>.Count, i = 0;
        var vmax = Vector<float>.Zero;
        var vmin = Vector<float>.Zero;
        for (; i + vw <= k; i += vw)
        {
            var v = Vector.Load(x + i);
            vmax = Vector.Max(vmax, Vector.Abs(v));
            vmin = Vector.Min(vmin, v);
        }
        float max = 0f, min = 0f;
        for (int j = 0; j < vw; j++) { max = MathF.Max(max, vmax[j]); min = MathF.Min(min, vmin[j]); }
        for (; i < k; i++) { max = MathF.Max(max, MathF.Abs(x[i])); min = MathF.Min(min, x[i]); }
        // Vector.Max and MathF.Max propagate NaN, so one test of the maximum covers NaN and infinity anywhere in the row.
        bool finite = float.IsFinite(max);
        unsigned = finite && min >= 0f;
        float levels = unsigned ? 255f : 127f;
        float inv = max > 0f && finite ? levels / max : 0f;
        var vinv = new Vector<float>(inv);
        var offset = new Vector<int>(unsigned ? 0 : 128);
        i = 0;
        for (; i + 4 * vw <= k; i += 4 * vw)
        {
            var q0 = Vector.ConvertToInt32(Vector.Round(Vector.Load(x + i) * vinv)) + offset;
            var q1 = Vector.ConvertToInt32(Vector.Round(Vector.Load(x + i + vw) * vinv)) + offset;
            var q2 = Vector.ConvertToInt32(Vector.Round(Vector.Load(x + i + 2 * vw) * vinv)) + offset;
            var q3 = Vector.ConvertToInt32(Vector.Round(Vector.Load(x + i + 3 * vw) * vinv)) + offset;
            var lo = Vector.Narrow(Vector.AsVectorUInt32(q0), Vector.AsVectorUInt32(q1));
            var hi = Vector.Narrow(Vector.AsVectorUInt32(q2), Vector.AsVectorUInt32(q3));
            Vector.Narrow(lo, hi).Store(u + i);
        }
        int zero = unsigned ? 0 : 128;
        for (; i < k; i++) u[i] = (byte)((int)MathF.Round(x[i] * inv) + zero);
        for (int p = k; p < kp; p++) u[p] = (byte)zero;
        return finite ? max / levels : float.NaN;
    }
}
