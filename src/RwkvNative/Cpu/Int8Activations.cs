using System.Numerics;

namespace RwkvNative.Cpu;

/// <summary>
/// Run-time quantisation of activations for the int8 GEMM, one scale per row: with s = max_k |x[k]| / 127,
/// q[k] = round-to-even(x[k] · 127 / max) in [-127, 127], stored as the unsigned byte u = q + 128 (the form vpdpbusd
/// and vpmaddubsw multiply; the weights' <see cref="Int8Weight.OffsetCorrection"/> takes the 128 back out).
/// The vector and scalar loops perform the same IEEE operations, so a row quantises to the same bytes on every path.
/// </summary>
internal static unsafe class Int8Activations
{
    /// <summary>
    /// x: [rows, k] float32 row-major (stride <paramref name="k"/>); u: [rows, kp] bytes (kp ≥ k, multiple of 4; the
    /// padding holds 128, i.e. q = 0); scales: [rows] (s, or NaN for a row holding a non-finite value: its outputs
    /// become NaN as in float32).
    /// </summary>
    public static void QuantizeRows(float* x, int rows, int k, byte* u, int kp, float* scales)
    {
        for (int r = 0; r < rows; r++)
            scales[r] = QuantizeRow(x + (long)r * k, k, u + (long)r * kp, kp);
    }

    private static float QuantizeRow(float* x, int k, byte* u, int kp)
    {
        int vw = Vector<float>.Count, i = 0;
        var vmax = Vector<float>.Zero;
        for (; i + vw <= k; i += vw) vmax = Vector.Max(vmax, Vector.Abs(Vector.Load(x + i)));
        float max = 0f;
        for (int j = 0; j < vw; j++) max = MathF.Max(max, vmax[j]);
        for (; i < k; i++) max = MathF.Max(max, MathF.Abs(x[i]));
        // Vector.Max and MathF.Max propagate NaN, so one test of the maximum covers NaN and infinity anywhere in the row.
        bool finite = float.IsFinite(max);
        float inv = max > 0f && finite ? 127f / max : 0f;
        var vinv = new Vector<float>(inv);
        var offset = new Vector<int>(128);
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
        for (; i < k; i++) u[i] = (byte)((int)MathF.Round(x[i] * inv) + 128);
        for (int p = k; p < kp; p++) u[p] = 128;
        return finite ? max / 127f : float.NaN;
    }
}
