using System.Numerics;
using RwkvNative.Model;

namespace RwkvNative.Cpu;

/// <summary>
/// Runs RWKV-7 blocks (time mix + channel mix, MODEL.md section 2) over a packed ragged batch on the CPU.
/// Linear layers see all tokens of all sequences at once (one GEMM per weight); the element-wise work between them is
/// fused into a few vectorised passes that run rows in parallel; only the token shift and the wkv7 recurrence walk
/// each sequence in order (the recurrence in parallel over (sequence, head)). Shared by the embedding model and the
/// reranker. Every row's arithmetic depends only on its own sequence, so a sequence gives the same bits alone or in
/// any batch, with any thread count.
/// </summary>
internal static class CpuGraph
{
    private const int N = ModelSchema.HeadSize;

    /// <summary>
    /// x: [T, C] packed rows of <paramref name="batch"/> (only its layout is read), replaced by the last block's output.
    /// state: [L,2,B,C] + [L,B,H,64,64] with L = blocks.Length; block l reads and writes state layer l.
    /// threads: most threads any step uses.
    /// </summary>
    public static void RunBlocks(CpuBlockWeights[] blocks, ModelConfig config, float[] x, PackedBatch batch, ModelState state, int threads)
    {
        int t = batch.TokenCount;
        if (t == 0) return;
        int c = config.Channels;
        int tc = t * c;
        if (x.Length < tc) throw new ArgumentException($"x has {x.Length} floats, needs {t}x{c}", nameof(x));
        var ws = CpuWorkspace.Rent(t, config);
        try
        {
            var rows = new Rows(batch.OffsetArray, batch.SequenceArray, t, c);

            for (int l = 0; l < blocks.Length; l++)
            {
                var w = blocks[l];
                // ---- time mix ----
                CpuParallel.ForRows(t, c, new LayerNormJob(x, w.Ln1W, w.Ln1B, ws.A, c), threads);
                CpuParallel.ForRows(t, 6 * c, new ShiftMixJob(rows, ws.A, state, l, 0, w.TimeMix, ws.Mix), threads);
                SaveShift(rows, ws.A, state, l, 0);

                var xr = ws.Mix[0].AsSpan(0, tc); var xw = ws.Mix[1].AsSpan(0, tc); var xk = ws.Mix[2].AsSpan(0, tc);
                var xv = ws.Mix[3].AsSpan(0, tc); var xa = ws.Mix[4].AsSpan(0, tc); var xg = ws.Mix[5].AsSpan(0, tc);
                Gemm.Linear(xr, t, w.Wr, ws.R, false, threads);
                Gemm.Linear(xk, t, w.Wk, ws.K, false, threads);
                Gemm.Linear(xv, t, w.Wv, ws.V, false, threads);
                Lora(xw, t, w.W1, w.W2, ws.Lora, ws.Decay, Activation.Tanh, threads);
                Lora(xa, t, w.A1, w.A2, ws.Lora, ws.Ag, Activation.None, threads);
                Lora(xg, t, w.G1, w.G2, ws.Lora, ws.G, Activation.Sigmoid, threads);
                // xr is free now: it receives the value-residual LoRA of later layers.
                if (l > 0) Lora(xv, t, w.V1!, w.V2!, ws.Lora, ws.Mix[0], Activation.None, threads);
                CpuParallel.ForRows(t, c, new PrepareJob(w, l == 0, ws, c), threads);

                long t0 = CpuProfile.Enabled ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
                Recurrence(ws, rows, state, l, threads);
                if (CpuProfile.Enabled) CpuProfile.AddRecurrence(t0);
                CpuParallel.ForRows(t, c, new GroupNormGateJob(w, ws, c), threads);
                Gemm.Linear(ws.Y.AsSpan(0, tc), t, w.Wo, x, true, threads);

                // ---- channel mix ----
                CpuParallel.ForRows(t, c, new LayerNormJob(x, w.Ln2W, w.Ln2B, ws.A, c), threads);
                CpuParallel.ForRows(t, c, new ShiftMixJob(rows, ws.A, state, l, 1, [w.FfnXK], [ws.Mix[2]]), threads);
                SaveShift(rows, ws.A, state, l, 1);
                int f = config.FfnWidth;
                Gemm.Linear(xk, t, w.FfnKey, ws.Hidden, Activation.ReluSquared, threads);
                Gemm.Linear(ws.Hidden.AsSpan(0, t * f), t, w.FfnValue, x, true, threads);
            }
        }
        finally
        {
            CpuWorkspace.Return(ws);
        }
    }

    /// <summary>The packed batch's layout (<see cref="PackedBatch"/>): offsets [B+1], sequence of each row [T], T, C.</summary>
    private sealed record Rows(int[] Offsets, int[] Sequence, int Count, int Channels);

    /// <summary>y = act(x @ w1) @ w2 with x: [T, C], hidden: at least [T, D], y: [T, C].</summary>
    private static void Lora(ReadOnlySpan<float> x, int t, LinearWeight w1, LinearWeight w2, float[] hidden, float[] y, Activation act, int threads)
    {
        int d = w1.Outputs;
        Gemm.Linear(x, t, w1, hidden, act, threads);
        Gemm.Linear(hidden.AsSpan(0, t * d), t, w2, y, false, threads);
    }

    /// <summary>The state's shift vector of slot <paramref name="slot"/> becomes each sequence's last row of <paramref name="a"/>.</summary>
    private static void SaveShift(Rows rows, float[] a, ModelState state, int l, int slot)
    {
        int c = rows.Channels, batch = rows.Offsets.Length - 1;
        for (int b = 0; b < batch; b++)
        {
            int end = rows.Offsets[b + 1];
            if (end == rows.Offsets[b]) continue;
            a.AsSpan((end - 1) * c, c).CopyTo(state.Shift.AsSpan(((l * 2 + slot) * state.Batch + b) * c, c));
        }
    }

    /// <summary>The wkv7 recurrence, one parallel item per (sequence, head).</summary>
    private static void Recurrence(CpuWorkspace ws, Rows rows, ModelState state, int layer, int threads)
    {
        int heads = rows.Channels / N, batch = rows.Offsets.Length - 1;
        CpuParallel.For(batch * heads, new RecurrenceJob(ws, rows, state, layer), threads);
    }

    /// <summary>Item (b, h) = b * H + h: the recurrence of head h of sequence b over its rows.</summary>
    private readonly struct RecurrenceJob(CpuWorkspace ws, Rows rows, ModelState state, int layer) : IItemJob
    {
        public void Run(int item)
        {
            int c = rows.Channels, heads = c / N;
            int b = item / heads, h = item % heads;
            int start = rows.Offsets[b], end = rows.Offsets[b + 1];
            if (end == start) return;
            int o = start * c, len = (end - start) * c;
            var wkv = state.Wkv.AsSpan((((layer * state.Batch) + b) * heads + h) * N * N, N * N);
            Wkv7.Run(end - start, c, h * N,
                ws.R.AsSpan(o, len), ws.Decay.AsSpan(o, len), ws.K.AsSpan(o, len), ws.V.AsSpan(o, len),
                ws.KK.AsSpan(o, len), ws.Ag.AsSpan(o, len), wkv, ws.Y.AsSpan(o, len));
        }
    }

    /// <summary>out = LN(x) row by row.</summary>
    private readonly struct LayerNormJob(float[] x, float[] weight, float[] bias, float[] output, int c) : IRowJob
    {
        public void Rows(int start, int end)
        {
            for (int row = start; row < end; row++)
                Ops.LayerNorm(x.AsSpan(row * c, c), weight, bias, output.AsSpan(row * c, c));
        }
    }

    /// <summary>
    /// Token shift and lerps: with prev = the previous row of the same sequence (the state's shift vector for its first
    /// row), outs[m][t] = a[t] + (prev - a[t]) * mixes[m].
    /// </summary>
    private readonly struct ShiftMixJob(Rows layout, float[] a, ModelState state, int layer, int slot, float[][] mixes, float[][] outs) : IRowJob
    {
        public void Rows(int start, int end)
        {
            int c = layout.Channels, vw = Vector<float>.Count;
            for (int row = start; row < end; row++)
            {
                int b = layout.Sequence[row];
                var cur = a.AsSpan(row * c, c);
                ReadOnlySpan<float> prev = row == layout.Offsets[b]
                    ? state.Shift.AsSpan(((layer * 2 + slot) * state.Batch + b) * c, c)
                    : a.AsSpan((row - 1) * c, c);
                for (int m = 0; m < mixes.Length; m++)
                {
                    var mix = mixes[m].AsSpan();
                    var o = outs[m].AsSpan(row * c, c);
                    for (int i = 0; i < c; i += vw)
                    {
                        var ai = new Vector<float>(cur[i..]);
                        (ai + (new Vector<float>(prev[i..]) - ai) * new Vector<float>(mix[i..])).CopyTo(o[i..]);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Everything between the time-mix GEMMs and the recurrence, one pass per row:
    /// decay = exp(-DecayScale sigmoid(w0 + decay)), ag = sigmoid(a0 + ag), the value residual (layer 0 keeps v as v_first,
    /// later layers v += (v_first - v) sigmoid(v0 + lora)), kk = per-head L2-normalised k*k_k, k *= 1 + (ag - 1) k_a.
    /// </summary>
    private readonly struct PrepareJob(CpuBlockWeights w, bool firstLayer, CpuWorkspace ws, int c) : IRowJob
    {
        public void Rows(int start, int end)
        {
            int vw = Vector<float>.Count;
            var scale = new Vector<float>(-ModelSchema.DecayScale);
            float[] decay = ws.Decay, ag = ws.Ag, v = ws.V, vFirst = ws.VFirst, vLora = ws.Mix[0], k = ws.K, kk = ws.KK;
            for (int row = start; row < end; row++)
            {
                int o = row * c;
                for (int i = 0; i < c; i += vw)
                {
                    int e = o + i;
                    Ops.Exp(scale * Ops.Sigmoid(new Vector<float>(w.W0, i) + new Vector<float>(decay, e))).CopyTo(decay, e);
                    var g = Ops.Sigmoid(new Vector<float>(w.A0, i) + new Vector<float>(ag, e));
                    g.CopyTo(ag, e);
                    var vi = new Vector<float>(v, e);
                    if (firstLayer) vi.CopyTo(vFirst, e);
                    else (vi + (new Vector<float>(vFirst, e) - vi) * Ops.Sigmoid(new Vector<float>(w.V0!, i) + new Vector<float>(vLora, e))).CopyTo(v, e);
                    var ki = new Vector<float>(k, e);
                    (ki * new Vector<float>(w.KK, i)).CopyTo(kk, e);
                    (ki * (Vector<float>.One + (g - Vector<float>.One) * new Vector<float>(w.KA, i))).CopyTo(k, e);
                }
                for (int h0 = 0; h0 < c; h0 += N)
                {
                    var head = kk.AsSpan(o + h0, N);
                    float inv = 1f / MathF.Max(MathF.Sqrt(Ops.Dot(head, head)), ModelSchema.KeyNormFloor);
                    var vinv = new Vector<float>(inv);
                    for (int j = 0; j < N; j += vw) (new Vector<float>(head[j..]) * vinv).CopyTo(head[j..]);
                }
            }
        }
    }

    /// <summary>
    /// y ← (GroupNorm(y; H groups, ln_x, ModelSchema.GroupNormEps) + per head (Σ_j r k r_k) v) * g, row by row.
    /// </summary>
    private readonly struct GroupNormGateJob(CpuBlockWeights w, CpuWorkspace ws, int c) : IRowJob
    {
        public void Rows(int start, int end)
        {
            int vw = Vector<float>.Count;
            float[] y = ws.Y, r = ws.R, k = ws.K, v = ws.V, g = ws.G;
            for (int row = start; row < end; row++)
            {
                for (int h0 = 0; h0 < c; h0 += N)
                {
                    int o = row * c + h0;
                    var yh = y.AsSpan(o, N);
                    float mean = Ops.Sum(yh) / N;
                    var vmean = new Vector<float>(mean);
                    var sq = Vector<float>.Zero;
                    var bonus = Vector<float>.Zero;
                    for (int j = 0; j < N; j += vw)
                    {
                        var d = new Vector<float>(y, o + j) - vmean;
                        sq += d * d;
                        bonus += new Vector<float>(r, o + j) * new Vector<float>(k, o + j) * new Vector<float>(w.RK, h0 + j);
                    }
                    var inv = new Vector<float>(1f / MathF.Sqrt(Vector.Sum(sq) / N + ModelSchema.GroupNormEps));
                    var vb = new Vector<float>(Vector.Sum(bonus));
                    for (int j = 0; j < N; j += vw)
                    {
                        var norm = (new Vector<float>(y, o + j) - vmean) * inv * new Vector<float>(w.LnXW, h0 + j) + new Vector<float>(w.LnXB, h0 + j);
                        ((norm + vb * new Vector<float>(v, o + j)) * new Vector<float>(g, o + j)).CopyTo(y, o + j);
                    }
                }
            }
        }
    }
}
