using System.Numerics;

namespace RwkvNative.Cpu;

/// <summary>
/// The wkv7 recurrence for one (sequence, head) over T tokens — the only place the CPU backend updates the state matrix.
/// Per token, with a' = -kk and b' = kk * ag (MODEL.md section 2):
/// <code>
/// sa[i]   = sum_j S[i][j] * a'[j]
/// S[i][j] = S[i][j] * decay[j] + sa[i] * b'[j] + v[i] * k[j]
/// y[i]    = sum_j S[i][j] * r[j]          (the updated S)
/// </code>
/// </summary>
internal static class Wkv7
{
    public const int N = 64;

    /// <summary>
    /// Runs T tokens of one head. Activations are rows of a [T, C] buffer: the head's 64 channels start at
    /// <paramref name="col"/> in each row of width <paramref name="c"/>.
    /// state: [64, 64] (i = value channel, j = key channel), updated in place. y: [T, C], the head's columns written.
    /// </summary>
    public static void Run(int tokens, int c, int col,
        ReadOnlySpan<float> r, ReadOnlySpan<float> decay, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> kk, ReadOnlySpan<float> ag, Span<float> state, Span<float> y)
    {
        Span<float> a = stackalloc float[N];
        Span<float> b = stackalloc float[N];
        int vw = Vector<float>.Count;
        for (int t = 0; t < tokens; t++)
        {
            int o = t * c + col;
            var rt = r.Slice(o, N);
            var wt = decay.Slice(o, N);
            var kt = k.Slice(o, N);
            var vt = v.Slice(o, N);
            for (int j = 0; j < N; j++)
            {
                float kkj = kk[o + j];
                a[j] = -kkj;
                b[j] = kkj * ag[o + j];
            }
            for (int i = 0; i < N; i++)
            {
                var row = state.Slice(i * N, N);
                float sa = 0;
                for (int j = 0; j < N; j += vw) sa += Vector.Dot(new Vector<float>(row.Slice(j)), new Vector<float>(a.Slice(j)));
                var vsa = new Vector<float>(sa);
                var vv = new Vector<float>(vt[i]);
                var acc = Vector<float>.Zero;
                for (int j = 0; j < N; j += vw)
                {
                    var s = new Vector<float>(row.Slice(j)) * new Vector<float>(wt.Slice(j))
                            + vsa * new Vector<float>(b.Slice(j))
                            + vv * new Vector<float>(kt.Slice(j));
                    s.CopyTo(row.Slice(j));
                    acc += s * new Vector<float>(rt.Slice(j));
                }
                y[o + i] = Vector.Sum(acc);
            }
        }
    }
}
