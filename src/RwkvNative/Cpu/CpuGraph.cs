using System.Collections.Concurrent;
using RwkvNative.Model;

namespace RwkvNative.Cpu;

/// <summary>
/// Runs RWKV-7 blocks (time mix + channel mix, MODEL.md section 2) over a packed ragged batch on the CPU.
/// Linear layers see all tokens of all sequences at once (one GEMM per weight); only the token shift and the wkv7
/// recurrence walk each sequence in order. Shared by the embedding model and the reranker.
/// </summary>
internal static class CpuGraph
{
    /// <summary>e^-0.5: decay = exp(-e^-0.5 * sigmoid(w0 + w)).</summary>
    private const float DecayScale = 0.6065306597f;
    private const float GroupNormEps = 64e-5f;
    private const int N = ModelConfig.HeadSize;

    /// <summary>
    /// x: [T, C] packed rows (sequence b = rows offsets[b]..offsets[b+1]), replaced by the last block's output.
    /// state: [L,2,B,C] + [L,B,H,64,64] with L = blocks.Length; block l reads and writes state layer l.
    /// </summary>
    public static void RunBlocks(CpuBlockWeights[] blocks, ModelConfig config, Span<float> x, ReadOnlySpan<int> offsets, ModelState state)
    {
        int batch = offsets.Length - 1;
        int t = offsets[batch];
        if (t == 0) return;
        int c = config.Channels;
        int tc = t * c;
        var ws = CpuWorkspace.Rent(t, config);
        try
        {
            var a = ws.A.AsSpan(0, tc);
            var xr = ws.Mix[0].AsSpan(0, tc); var xw = ws.Mix[1].AsSpan(0, tc); var xk = ws.Mix[2].AsSpan(0, tc);
            var xv = ws.Mix[3].AsSpan(0, tc); var xa = ws.Mix[4].AsSpan(0, tc); var xg = ws.Mix[5].AsSpan(0, tc);
            var r = ws.R.AsSpan(0, tc); var k = ws.K.AsSpan(0, tc); var v = ws.V.AsSpan(0, tc);
            var decay = ws.Decay.AsSpan(0, tc); var ag = ws.Ag.AsSpan(0, tc); var g = ws.G.AsSpan(0, tc);
            var kk = ws.KK.AsSpan(0, tc); var y = ws.Y.AsSpan(0, tc); var vFirst = ws.VFirst.AsSpan(0, tc);
            var hidden = ws.Hidden.AsSpan(0, t * config.FfnWidth);
            var tmp = ws.Lora.AsSpan();

            for (int l = 0; l < blocks.Length; l++)
            {
                var w = blocks[l];
                // ---- time mix ----
                Ops.LayerNormRows(x, t, w.Ln1W, w.Ln1B, a);
                ShiftAndMix(a, offsets, state, l, 0, c, [w.XR, w.XW, w.XK, w.XV, w.XA, w.XG], ws.Mix);

                Gemm.Linear(xr, t, w.Wr, r);
                Gemm.Linear(xk, t, w.Wk, k);
                Gemm.Linear(xv, t, w.Wv, v);
                Lora(xw, t, w.W1, w.W2, tmp, decay, LoraActivation.Tanh);
                Lora(xa, t, w.A1, w.A2, tmp, ag, LoraActivation.None);
                Lora(xg, t, w.G1, w.G2, tmp, g, LoraActivation.Sigmoid);
                for (int i = 0; i < tc; i++)
                {
                    int ch = i % c;
                    decay[i] = MathF.Exp(-DecayScale * Ops.Sigmoid(w.W0[ch] + decay[i]));
                    ag[i] = Ops.Sigmoid(w.A0[ch] + ag[i]);
                }
                if (l == 0)
                {
                    v.CopyTo(vFirst);
                }
                else
                {
                    Lora(xv, t, w.V1!, w.V2!, tmp, xr /* reused: xr is no longer needed */, LoraActivation.None);
                    for (int i = 0; i < tc; i++)
                    {
                        float gate = Ops.Sigmoid(w.V0![i % c] + xr[i]);
                        v[i] += (vFirst[i] - v[i]) * gate;
                    }
                }
                KeyNormalize(k, kk, ag, w.KK, w.KA, t, c);
                Recurrence(r, decay, k, v, kk, ag, y, offsets, state, l, c);
                GroupNormBonusGate(y, r, k, v, g, w, t, c);
                Gemm.Linear(y, t, w.Wo, x, accumulate: true);

                // ---- channel mix ----
                Ops.LayerNormRows(x, t, w.Ln2W, w.Ln2B, a);
                ShiftAndMix(a, offsets, state, l, 1, c, [w.FfnXK], ws.Mix.AsSpan(2, 1));
                Gemm.Linear(xk, t, w.FfnKey, hidden);
                for (int i = 0; i < hidden.Length; i++) { float h = MathF.Max(hidden[i], 0f); hidden[i] = h * h; }
                Gemm.Linear(hidden, t, w.FfnValue, x, accumulate: true);
            }
        }
        finally
        {
            CpuWorkspace.Return(ws);
        }
    }

    private enum LoraActivation { None, Tanh, Sigmoid }

    /// <summary>y = act(x @ w1) @ w2 with x: [T, C], tmp: at least [T, D], y: [T, C].</summary>
    private static void Lora(ReadOnlySpan<float> x, int t, LinearWeight w1, LinearWeight w2, Span<float> tmp, Span<float> y, LoraActivation act)
    {
        var h = tmp[..(t * w1.Outputs)];
        Gemm.Linear(x, t, w1, h);
        if (act == LoraActivation.Tanh) for (int i = 0; i < h.Length; i++) h[i] = MathF.Tanh(h[i]);
        else if (act == LoraActivation.Sigmoid) for (int i = 0; i < h.Length; i++) h[i] = Ops.Sigmoid(h[i]);
        Gemm.Linear(h, t, w2, y);
    }

    /// <summary>
    /// Token shift for state slot <paramref name="slot"/> (0 = time mix, 1 = channel mix) of layer <paramref name="l"/>:
    /// per sequence, prev = the state's shift vector for its first token and the previous row after that;
    /// outs[m][t] = a[t] + (prev - a[t]) * mix[m]. The state's shift vector becomes the sequence's last row.
    /// </summary>
    private static void ShiftAndMix(ReadOnlySpan<float> a, ReadOnlySpan<int> offsets, ModelState state, int l, int slot, int c,
        ReadOnlySpan<float[]> mixes, ReadOnlySpan<float[]> outs)
    {
        int batch = offsets.Length - 1;
        for (int b = 0; b < batch; b++)
        {
            int start = offsets[b], end = offsets[b + 1];
            if (end == start) continue;
            var shift = state.Shift.AsSpan(((l * 2 + slot) * state.Batch + b) * c, c);
            for (int t = start; t < end; t++)
            {
                var cur = a.Slice(t * c, c);
                ReadOnlySpan<float> prev = t == start ? shift : a.Slice((t - 1) * c, c);
                for (int m = 0; m < mixes.Length; m++)
                {
                    var mix = mixes[m];
                    var o = outs[m].AsSpan(t * c, c);
                    for (int i = 0; i < c; i++) o[i] = cur[i] + (prev[i] - cur[i]) * mix[i];
                }
            }
            a.Slice((end - 1) * c, c).CopyTo(shift);
        }
    }

    /// <summary>kk = per-head L2-normalised k*k_k (norm clamped at 1e-12); then k = k * (1 + (ag - 1) * k_a).</summary>
    private static void KeyNormalize(Span<float> k, Span<float> kk, ReadOnlySpan<float> ag, float[] kkw, float[] ka, int t, int c)
    {
        for (int row = 0; row < t; row++)
        {
            for (int h0 = 0; h0 < c; h0 += N)
            {
                int o = row * c + h0;
                float ss = 0;
                for (int j = 0; j < N; j++) { float q = k[o + j] * kkw[h0 + j]; kk[o + j] = q; ss += q * q; }
                float inv = 1f / MathF.Max(MathF.Sqrt(ss), 1e-12f);
                for (int j = 0; j < N; j++) kk[o + j] *= inv;
            }
            for (int i = 0; i < c; i++)
            {
                int o = row * c + i;
                k[o] *= 1f + (ag[o] - 1f) * ka[i];
            }
        }
    }

    private static void Recurrence(Span<float> r, Span<float> decay, Span<float> k, Span<float> v, Span<float> kk, Span<float> ag,
        Span<float> y, ReadOnlySpan<int> offsets, ModelState state, int l, int c)
    {
        int batch = offsets.Length - 1, heads = c / N;
        int work = batch * heads;
        int[] offs = offsets.ToArray();
        unsafe
        {
            fixed (float* pr = r, pd = decay, pk = k, pv = v, pkk = kk, pag = ag, py = y)
            {
                var job = new RecurrenceJob(pr, pd, pk, pv, pkk, pag, py, offs, state, l, c);
                if (offs[batch] * (long)c < 4096 || work == 1) for (int i = 0; i < work; i++) job.Run(i);
                else Parallel.For(0, work, job.Run);
            }
        }
    }

    private sealed unsafe class RecurrenceJob(float* r, float* decay, float* k, float* v, float* kk, float* ag, float* y,
        int[] offsets, ModelState state, int layer, int c)
    {
        public void Run(int item)
        {
            int heads = c / N, b = item / heads, h = item % heads;
            int start = offsets[b], end = offsets[b + 1];
            if (end == start) return;
            long rowOffset = (long)start * c;
            int len = (end - start) * c;
            var wkv = state.Wkv.AsSpan((((layer * state.Batch) + b) * heads + h) * N * N, N * N);
            Wkv7.Run(end - start, c, h * N,
                new ReadOnlySpan<float>(r + rowOffset, len), new ReadOnlySpan<float>(decay + rowOffset, len),
                new ReadOnlySpan<float>(k + rowOffset, len), new ReadOnlySpan<float>(v + rowOffset, len),
                new ReadOnlySpan<float>(kk + rowOffset, len), new ReadOnlySpan<float>(ag + rowOffset, len),
                wkv, new Span<float>(y + rowOffset, len));
        }
    }

    /// <summary>
    /// y ← (GroupNorm(y; H groups, ln_x, eps 64e-5) + per head (Σ_j r k r_k) v) * g, row by row.
    /// </summary>
    private static void GroupNormBonusGate(Span<float> y, ReadOnlySpan<float> r, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> g, CpuBlockWeights w, int t, int c)
    {
        for (int row = 0; row < t; row++)
        {
            for (int h0 = 0; h0 < c; h0 += N)
            {
                int o = row * c + h0;
                var yh = y.Slice(o, N);
                float mean = Ops.Sum(yh) / N;
                float var = 0;
                for (int j = 0; j < N; j++) { float d = yh[j] - mean; var += d * d; }
                var /= N;
                float inv = 1f / MathF.Sqrt(var + GroupNormEps);
                float bonus = 0;
                for (int j = 0; j < N; j++) bonus += r[o + j] * k[o + j] * w.RK[h0 + j];
                for (int j = 0; j < N; j++)
                {
                    float norm = (yh[j] - mean) * inv * w.LnXW[h0 + j] + w.LnXB[h0 + j];
                    yh[j] = (norm + bonus * v[o + j]) * g[o + j];
                }
            }
        }
    }
}

/// <summary>
/// Activation buffers of one <see cref="CpuGraph.RunBlocks"/> call, pooled so steady-state calls allocate nothing.
/// Every buffer is [T, C] unless named otherwise; arrays only grow.
/// </summary>
internal sealed class CpuWorkspace
{
    private static readonly ConcurrentBag<CpuWorkspace> Pool = new();
    private const int MaxPooled = 16;

    public float[] A = [], R = [], K = [], V = [], Decay = [], Ag = [], G = [], KK = [], Y = [], VFirst = [], Hidden = [], Lora = [];
    public readonly float[][] Mix = [[], [], [], [], [], []];

    public static CpuWorkspace Rent(int tokens, ModelConfig config)
    {
        if (!Pool.TryTake(out var ws)) ws = new CpuWorkspace();
        int tc = tokens * config.Channels;
        int lora = Math.Max(Math.Max(config.DecayLora, config.AlphaLora), Math.Max(config.GateLora, config.ValueLora));
        Grow(ref ws.A, tc); Grow(ref ws.R, tc); Grow(ref ws.K, tc); Grow(ref ws.V, tc); Grow(ref ws.Decay, tc);
        Grow(ref ws.Ag, tc); Grow(ref ws.G, tc); Grow(ref ws.KK, tc); Grow(ref ws.Y, tc); Grow(ref ws.VFirst, tc);
        Grow(ref ws.Hidden, tokens * config.FfnWidth);
        Grow(ref ws.Lora, tokens * lora);
        for (int i = 0; i < ws.Mix.Length; i++) Grow(ref ws.Mix[i], tc);
        return ws;
    }

    public static void Return(CpuWorkspace ws)
    {
        if (Pool.Count < MaxPooled) Pool.Add(ws);
    }

    private static void Grow(ref float[] a, int n)
    {
        if (a.Length < n) a = new float[n];
    }
}
