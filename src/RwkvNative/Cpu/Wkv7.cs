using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
internal static unsafe class Wkv7
{
    public const int N = 64;

    /// <summary>
    /// Runs T tokens of one head. Activations are rows of a [T, C] buffer: the head's 64 channels start at
    /// <paramref name="col"/> in each row of width <paramref name="c"/>.
    /// state: [64, 64] (i = value channel, j = key channel), updated in place. y: [T, C], the head's columns written.
    /// <paramref name="allowWide"/> = false forces the portable code (tests run both on 512-bit machines).
    /// </summary>
    public static void Run(int tokens, int c, int col,
        ReadOnlySpan<float> r, ReadOnlySpan<float> decay, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> kk, ReadOnlySpan<float> ag, Span<float> state, Span<float> y, bool allowWide = true)
    {
        if (tokens == 0) return;
        long need = (long)(tokens - 1) * c + col + N;
        if (r.Length < need || decay.Length < need || k.Length < need || v.Length < need || kk.Length < need || ag.Length < need || y.Length < need)
            throw new ArgumentException($"activations must hold {tokens} rows of {c} with the head at column {col}");
        if (state.Length < N * N) throw new ArgumentException("state must hold 64 x 64 floats", nameof(state));
        fixed (float* pr = r, pd = decay, pk = k, pv = v, pkk = kk, pag = ag, ps = state, py = y)
        {
            var t = new Token(pr + col, pd + col, pk + col, pv + col, pkk + col, pag + col, py + col);
            if (allowWide && Vector512.IsHardwareAccelerated) Run512(tokens, c, t, ps);
            else RunPortable(tokens, c, t, ps);
        }
    }

    /// <summary>Pointers to the head's first channel in token 0's row of each activation.</summary>
    private readonly struct Token(float* r, float* decay, float* k, float* v, float* kk, float* ag, float* y)
    {
        public readonly float* R = r, Decay = decay, K = k, V = v, KK = kk, Ag = ag, Y = y;
    }

    /// <summary>
    /// 512-bit version. The state is kept transposed (row j = key channel, 64 value channels as 4 vectors) in a stack
    /// copy for the whole run, so every sum over j is a chain of vertical FMAs with broadcast scalars: no horizontal sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run512(int tokens, int c, Token p, float* state)
    {
        float* st = stackalloc float[N * N]; // st[j * 64 + i] = S[i][j]
        Transpose(state, st);
        for (int t = 0; t < tokens; t++)
        {
            long o = (long)t * c;
            float* kk = p.KK + o, ag = p.Ag + o, w = p.Decay + o, kt = p.K + o, rt = p.R + o;
            // sa = sum_j S[:, j] * (-kk[j]); two partial sums (even and odd j) halve the dependency chains.
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            Vector512<float> q0 = default, q1 = default, q2 = default, q3 = default;
            for (int j = 0; j < N; j += 2)
            {
                float* row = st + j * N;
                var a0 = Vector512.Create(-kk[j]);
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(row), a0, s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 16), a0, s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 32), a0, s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 48), a0, s3);
                var a1 = Vector512.Create(-kk[j + 1]);
                q0 = Vector512.FusedMultiplyAdd(Vector512.Load(row + N), a1, q0);
                q1 = Vector512.FusedMultiplyAdd(Vector512.Load(row + N + 16), a1, q1);
                q2 = Vector512.FusedMultiplyAdd(Vector512.Load(row + N + 32), a1, q2);
                q3 = Vector512.FusedMultiplyAdd(Vector512.Load(row + N + 48), a1, q3);
            }
            s0 += q0; s1 += q1; s2 += q2; s3 += q3;
            float* vt = p.V + o;
            var v0 = Vector512.Load(vt); var v1 = Vector512.Load(vt + 16); var v2 = Vector512.Load(vt + 32); var v3 = Vector512.Load(vt + 48);
            Vector512<float> y0 = default, y1 = default, y2 = default, y3 = default;
            Vector512<float> z0 = default, z1 = default, z2 = default, z3 = default;
            for (int j = 0; j < N; j += 2)
            {
                float* row = st + j * N;
                var wj = Vector512.Create(w[j]);
                var bj = Vector512.Create(kk[j] * ag[j]);
                var kj = Vector512.Create(kt[j]);
                var rj = Vector512.Create(rt[j]);
                var n0 = Vector512.FusedMultiplyAdd(v0, kj, Vector512.FusedMultiplyAdd(s0, bj, Vector512.Load(row) * wj));
                var n1 = Vector512.FusedMultiplyAdd(v1, kj, Vector512.FusedMultiplyAdd(s1, bj, Vector512.Load(row + 16) * wj));
                var n2 = Vector512.FusedMultiplyAdd(v2, kj, Vector512.FusedMultiplyAdd(s2, bj, Vector512.Load(row + 32) * wj));
                var n3 = Vector512.FusedMultiplyAdd(v3, kj, Vector512.FusedMultiplyAdd(s3, bj, Vector512.Load(row + 48) * wj));
                n0.Store(row); n1.Store(row + 16); n2.Store(row + 32); n3.Store(row + 48);
                y0 = Vector512.FusedMultiplyAdd(n0, rj, y0); y1 = Vector512.FusedMultiplyAdd(n1, rj, y1);
                y2 = Vector512.FusedMultiplyAdd(n2, rj, y2); y3 = Vector512.FusedMultiplyAdd(n3, rj, y3);

                row += N;
                wj = Vector512.Create(w[j + 1]);
                bj = Vector512.Create(kk[j + 1] * ag[j + 1]);
                kj = Vector512.Create(kt[j + 1]);
                rj = Vector512.Create(rt[j + 1]);
                n0 = Vector512.FusedMultiplyAdd(v0, kj, Vector512.FusedMultiplyAdd(s0, bj, Vector512.Load(row) * wj));
                n1 = Vector512.FusedMultiplyAdd(v1, kj, Vector512.FusedMultiplyAdd(s1, bj, Vector512.Load(row + 16) * wj));
                n2 = Vector512.FusedMultiplyAdd(v2, kj, Vector512.FusedMultiplyAdd(s2, bj, Vector512.Load(row + 32) * wj));
                n3 = Vector512.FusedMultiplyAdd(v3, kj, Vector512.FusedMultiplyAdd(s3, bj, Vector512.Load(row + 48) * wj));
                n0.Store(row); n1.Store(row + 16); n2.Store(row + 32); n3.Store(row + 48);
                z0 = Vector512.FusedMultiplyAdd(n0, rj, z0); z1 = Vector512.FusedMultiplyAdd(n1, rj, z1);
                z2 = Vector512.FusedMultiplyAdd(n2, rj, z2); z3 = Vector512.FusedMultiplyAdd(n3, rj, z3);
            }
            float* yt = p.Y + o;
            (y0 + z0).Store(yt); (y1 + z1).Store(yt + 16); (y2 + z2).Store(yt + 32); (y3 + z3).Store(yt + 48);
        }
        Transpose(st, state);
    }

    /// <summary>Portable version (Vector&lt;T&gt; of any width): the same transposed formulation, sums kept in small stack arrays.</summary>
    private static void RunPortable(int tokens, int c, Token p, float* state)
    {
        int vw = Vector<float>.Count;
        float* st = stackalloc float[N * N];
        float* sa = stackalloc float[N];
        float* acc = stackalloc float[N];
        Transpose(state, st);
        for (int t = 0; t < tokens; t++)
        {
            long o = (long)t * c;
            float* kk = p.KK + o, ag = p.Ag + o, w = p.Decay + o, kt = p.K + o, rt = p.R + o, vt = p.V + o;
            new Span<float>(sa, N).Clear();
            for (int j = 0; j < N; j++)
            {
                var a = new Vector<float>(-kk[j]);
                for (int i = 0; i < N; i += vw)
                    Store(Load(sa + i) + Load(st + j * N + i) * a, sa + i);
            }
            new Span<float>(acc, N).Clear();
            for (int j = 0; j < N; j++)
            {
                var wj = new Vector<float>(w[j]);
                var bj = new Vector<float>(kk[j] * ag[j]);
                var kj = new Vector<float>(kt[j]);
                var rj = new Vector<float>(rt[j]);
                for (int i = 0; i < N; i += vw)
                {
                    float* cell = st + j * N + i;
                    var s = Load(cell) * wj + Load(sa + i) * bj + Load(vt + i) * kj;
                    Store(s, cell);
                    Store(Load(acc + i) + s * rj, acc + i);
                }
            }
            new Span<float>(acc, N).CopyTo(new Span<float>(p.Y + o, N));
        }
        Transpose(st, state);
    }

    private static Vector<float> Load(float* p) => Unsafe.ReadUnaligned<Vector<float>>(p);

    private static void Store(Vector<float> v, float* p) => Unsafe.WriteUnaligned(p, v);

    /// <summary>dst[j * 64 + i] = src[i * 64 + j].</summary>
    private static void Transpose(float* src, float* dst)
    {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                dst[j * N + i] = src[i * N + j];
    }
}
