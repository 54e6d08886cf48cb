using System.Runtime.Intrinsics;

namespace RwkvNative.Tests.Cpu;

/// <summary>
/// The 512-bit wkv7 kernel as it was before the one-pass form (commit 2e3e541: sa from the old state in its own pass,
/// then the update and y), kept verbatim so tests can check the current kernel gives the same bits.
/// Layouts as in <see cref="RwkvNative.Cpu.Wkv7.Run"/>.
/// </summary>
internal static unsafe class Wkv7TwoPass512
{
    private const int N = 64;

    public static void Run(int tokens, int c, int col, float[] r, float[] decay, float[] k, float[] v, float[] kk, float[] ag, float[] state, float[] y)
    {
        fixed (float* pr = r, pd = decay, pk = k, pv = v, pkk = kk, pag = ag, ps = state, py = y)
            Run512(tokens, c, new P(pr + col, pd + col, pk + col, pv + col, pkk + col, pag + col, py + col), ps);
    }

    private readonly struct P(float* r, float* decay, float* k, float* v, float* kk, float* ag, float* y)
    {
        public readonly float* r = r, decay = decay, k = k, v = v, kk = kk, ag = ag, y = y;
    }

    private static void Run512(int tokens, int c, P p, float* state)
    {
        float* st = stackalloc float[N * N]; // st[j * 64 + i] = S[i][j]
        Transpose(state, st);
        for (int t = 0; t < tokens; t++)
        {
            long o = (long)t * c;
            float* kk = p.kk + o, ag = p.ag + o, w = p.decay + o, kt = p.k + o, rt = p.r + o;
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
            float* vt = p.v + o;
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
            float* yt = p.y + o;
            (y0 + z0).Store(yt); (y1 + z1).Store(yt + 16); (y2 + z2).Store(yt + 32); (y3 + z3).Store(yt + 48);
        }
        Transpose(st, state);
    }

    private static void Transpose(float* src, float* dst)
    {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                dst[j * N + i] = src[i * N + j];
    }
}
