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
            float* st = stackalloc float[N * N];
            Transpose(ps, st);
            RunKeyMajor(tokens, c, new Token(pr + col, pd + col, pk + col, pv + col, pkk + col, pag + col, py + col), st, allowWide);
            Transpose(st, ps);
        }
    }

    /// <summary>
    /// <see cref="Run"/> on a state already in key-major order (<see cref="Transpose"/>: st[j * 64 + i] = S[i][j]), for
    /// callers that feed one sequence in several runs and transpose once around all of them. Gives the bits of one
    /// <see cref="Run"/> over all the tokens, however they are split.
    /// </summary>
    public static void RunKeyMajor(int tokens, int c, Token p, float* st, bool allowWide = true)
    {
        if (tokens == 0) return;
        if (allowWide && Vector512.IsHardwareAccelerated) Run512(tokens, c, p, st);
        else RunPortable(tokens, c, p, st);
    }

    /// <summary>Pointers to the head's first channel in the first token's row of each activation (rows <c>c</c> floats apart).</summary>
    public readonly struct Token(float* r, float* decay, float* k, float* v, float* kk, float* ag, float* y)
    {
        public readonly float* R = r, Decay = decay, K = k, V = v, KK = kk, Ag = ag, Y = y;
    }

    /// <summary>
    /// 512-bit version. The state is kept transposed (row j = key channel, 64 value channels as 4 vectors) in a stack
    /// copy for the whole run, so every sum over j is a chain of vertical FMAs with broadcast scalars: no horizontal sums.
    /// One pass over the state per token: the pass that writes token t's new state also forms y_t and token t+1's sa
    /// from the rows it has just written, so each row is loaded once per token instead of twice. The value channels are
    /// walked in two halves of 32 (independent: nothing mixes channels i) to keep every accumulator in a register.
    /// Sums keep the order of the two-pass form (even j and odd j in separate chains, added at the end), so a run's
    /// first sa (from the state it starts with) has the bits the previous run's last token would have given it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run512(int tokens, int c, Token p, float* st)
    {
        float* sa = stackalloc float[N];
        float* saNext = stackalloc float[N];
        float* zeros = stackalloc float[N];
        new Span<float>(zeros, N).Clear();
        SaFromState(st, p.KK, sa);
        for (int t = 0; t < tokens; t++)
        {
            long o = (long)t * c;
            // The last token has no successor: its sa pass multiplies by zeros and is discarded.
            float* kkNext = t + 1 < tokens ? p.KK + o + c : zeros;
            var tok = new Step(p.KK + o, p.Ag + o, p.Decay + o, p.K + o, p.R + o, p.V + o, kkNext, p.Y + o);
            StepHalf(st, tok, sa, saNext, 0);
            StepHalf(st, tok, sa, saNext, 32);
            float* done = sa; sa = saNext; saNext = done;
        }
    }

    /// <summary>One token's activations (pointers to the head's first channel) and the next token's kk.</summary>
    private readonly struct Step(float* kk, float* ag, float* decay, float* k, float* r, float* v, float* kkNext, float* y)
    {
        public readonly float* KK = kk, Ag = ag, Decay = decay, K = k, R = r, V = v, KKNext = kkNext, Y = y;
    }

    /// <summary>sa[i] = sum_j st[j][i] * (-kk[j]) for all 64 i, even and odd j in separate chains.</summary>
    private static void SaFromState(float* st, float* kk, float* sa)
    {
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
        (s0 + q0).Store(sa); (s1 + q1).Store(sa + 16); (s2 + q2).Store(sa + 32); (s3 + q3).Store(sa + 48);
    }

    /// <summary>
    /// Value channels [h, h + 32) of one token: the state update with this token's sa, y, and the next token's sa from
    /// the updated rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StepHalf(float* st, in Step p, float* sa, float* saNext, int h)
    {
        float* kk = p.KK, ag = p.Ag, w = p.Decay, kt = p.K, rt = p.R, kn = p.KKNext;
        var v0 = Vector512.Load(p.V + h); var v1 = Vector512.Load(p.V + h + 16);
        var s0 = Vector512.Load(sa + h); var s1 = Vector512.Load(sa + h + 16);
        Vector512<float> y0 = default, y1 = default, z0 = default, z1 = default;
        Vector512<float> e0 = default, e1 = default, d0 = default, d1 = default;
        for (int j = 0; j < N; j += 2)
        {
            float* row = st + j * N + h;
            var wj = Vector512.Create(w[j]);
            var bj = Vector512.Create(kk[j] * ag[j]);
            var kj = Vector512.Create(kt[j]);
            var rj = Vector512.Create(rt[j]);
            var aj = Vector512.Create(-kn[j]);
            var n0 = Vector512.FusedMultiplyAdd(v0, kj, Vector512.FusedMultiplyAdd(s0, bj, Vector512.Load(row) * wj));
            var n1 = Vector512.FusedMultiplyAdd(v1, kj, Vector512.FusedMultiplyAdd(s1, bj, Vector512.Load(row + 16) * wj));
            n0.Store(row); n1.Store(row + 16);
            y0 = Vector512.FusedMultiplyAdd(n0, rj, y0); y1 = Vector512.FusedMultiplyAdd(n1, rj, y1);
            e0 = Vector512.FusedMultiplyAdd(n0, aj, e0); e1 = Vector512.FusedMultiplyAdd(n1, aj, e1);

            row += N;
            wj = Vector512.Create(w[j + 1]);
            bj = Vector512.Create(kk[j + 1] * ag[j + 1]);
            kj = Vector512.Create(kt[j + 1]);
            rj = Vector512.Create(rt[j + 1]);
            aj = Vector512.Create(-kn[j + 1]);
            n0 = Vector512.FusedMultiplyAdd(v0, kj, Vector512.FusedMultiplyAdd(s0, bj, Vector512.Load(row) * wj));
            n1 = Vector512.FusedMultiplyAdd(v1, kj, Vector512.FusedMultiplyAdd(s1, bj, Vector512.Load(row + 16) * wj));
            n0.Store(row); n1.Store(row + 16);
            z0 = Vector512.FusedMultiplyAdd(n0, rj, z0); z1 = Vector512.FusedMultiplyAdd(n1, rj, z1);
            d0 = Vector512.FusedMultiplyAdd(n0, aj, d0); d1 = Vector512.FusedMultiplyAdd(n1, aj, d1);
        }
        (y0 + z0).Store(p.Y + h); (y1 + z1).Store(p.Y + h + 16);
        (e0 + d0).Store(saNext + h); (e1 + d1).Store(saNext + h + 16);
    }

    /// <summary>Portable version (Vector&lt;T&gt; of any width): the same transposed formulation, sums kept in small stack arrays.</summary>
    private static void RunPortable(int tokens, int c, Token p, float* st)
    {
        int vw = Vector<float>.Count;
        float* sa = stackalloc float[N];
        float* acc = stackalloc float[N];
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
    }

    private static Vector<float> Load(float* p) => Unsafe.ReadUnaligned<Vector<float>>(p);

    private static void Store(Vector<float> v, float* p) => Unsafe.WriteUnaligned(p, v);

    /// <summary>dst[j * 64 + i] = src[i * 64 + j] (its own inverse: state to key-major order and back).</summary>
    public static void Transpose(float* src, float* dst)
    {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                dst[j * N + i] = src[i * N + j];
    }
}
