using RwkvNative.Cuda.Kernels;
using RwkvNative.Cuda.Memory;
using RwkvNative.Model;

namespace RwkvNative.Cuda.Graph;

/// <summary>
/// One RWKV-7 block (time mix + channel mix, MODEL.md section 2) over a ragged batch on the device. The embedding model
/// runs it once per layer; the reranker runs it with one token per sequence over copied states.
/// </summary>
internal sealed class BlockRunner(CudaSession s)
{
    private const float LayerNormEps = ModelSchema.LayerNormEps;

    /// <summary>
    /// Updates x in place through block <paramref name="w"/>.
    /// </summary>
    /// <param name="w">The block's weights.</param>
    /// <param name="firstLayer">Whether this block sets v_first (layer 0) rather than mixing it in.</param>
    /// <param name="batch">The pass's ragged layout.</param>
    /// <param name="x">[T, C] residual stream, read and written.</param>
    /// <param name="shiftAtt">[B, C] time-mix shift state of this layer, read and written.</param>
    /// <param name="shiftFfn">[B, C] channel-mix shift state of this layer, read and written.</param>
    /// <param name="wkv">[B, H, 64, 64] wkv state of this layer, read and written.</param>
    /// <param name="channels">C.</param>
    public void Run(CudaBlockWeights w, bool firstLayer, RaggedBatch batch, DeviceView<float> x,
        DeviceView<float> shiftAtt, DeviceView<float> shiftFfn, DeviceView<float> wkv, int channels)
    {
        var ws = s.Workspace;
        int t = batch.Tokens;
        long n = (long)t * channels;

        // Time mix.
        var a = ws.Normed.Get<float>(n);
        var mix = ws.Mix.Get<float>(CudaBlockWeights.MixCount * n);
        bool fused = s.Options.FusedKernels;
        if (fused)
        {
            s.TokenShift.NormMixAndStore(x, w.Ln1W, w.Ln1B, LayerNormEps, batch, shiftAtt, w.TimeMix, CudaBlockWeights.MixCount, a, mix, channels);
        }
        else
        {
            s.LayerNorm.Run(x, w.Ln1W, w.Ln1B, a, t, channels, LayerNormEps);
            s.TokenShift.MixAndStore(a, batch, shiftAtt, w.TimeMix, CudaBlockWeights.MixCount, mix, channels);
        }
        DeviceView<float> Lerp(int m) => mix.Slice(m * n, n);

        var r = ws.R.Get<float>(n);
        var k = ws.K.Get<float>(n);
        var v = ws.V.Get<float>(n);
        s.Gemm.Multiply(w.Wr, Lerp(CudaBlockWeights.MixR), t, r);
        s.Gemm.Multiply(w.Wk, Lerp(CudaBlockWeights.MixK), t, k);
        s.Gemm.Multiply(w.Wv, Lerp(CudaBlockWeights.MixV), t, v);

        var hidden = ws.Hidden.Get<float>((long)t * w.MaxLoraWidth);
        var wLora = ws.WLora.Get<float>(n);
        s.Gemm.Multiply(w.W1, Lerp(CudaBlockWeights.MixW), t, hidden);
        s.Activations.Run(Activation.Tanh, hidden, (long)t * w.W1.Outputs);
        s.Gemm.Multiply(w.W2, hidden, t, wLora);

        var aLora = ws.ALora.Get<float>(n);
        s.Gemm.Multiply(w.A1, Lerp(CudaBlockWeights.MixA), t, hidden);
        s.Gemm.Multiply(w.A2, hidden, t, aLora);

        var vLora = default(DeviceView<float>);
        if (!firstLayer)
        {
            vLora = ws.VLora.Get<float>(n);
            s.Gemm.Multiply(w.V1!, Lerp(CudaBlockWeights.MixV), t, hidden);
            s.Gemm.Multiply(w.V2!, hidden, t, vLora);
        }

        var gate = ws.Gate.Get<float>(n);
        s.Gemm.Multiply(w.G1, Lerp(CudaBlockWeights.MixG), t, hidden);
        s.Activations.Run(Activation.Sigmoid, hidden, (long)t * w.G1.Outputs);
        s.Gemm.Multiply(w.G2, hidden, t, gate);

        var decay = ws.Decay.Get<float>(n);
        var aOut = ws.AOut.Get<float>(n);
        var bOut = ws.BOut.Get<float>(n);
        var vFirst = ws.VFirst.Get<float>(n);
        s.WkvPrep.Run(new WkvPrepLauncher.Buffers(k, aLora, wLora, v, vLora, vFirst, decay, aOut, bOut),
            firstLayer, w.W0, w.A0, w.KK, w.KA, w.V0, t, channels);

        var y = ws.Y.Get<float>(n);
        s.Wkv7.Run(wkv, batch, r, decay, k, v, aOut, bOut, y, channels, s.Options.Wkv7);

        var o = ws.Out.Get<float>(n);
        s.WkvOutput.Run(y, r, k, v, gate, w.LnXW, w.LnXB, w.RK, o, t, channels, ModelSchema.GroupNormEps);
        s.Gemm.Multiply(w.Wo, o, t, x, accumulate: true);

        // Channel mix.
        var ffnIn = mix.Slice(0, n);
        if (fused)
        {
            s.TokenShift.NormMixAndStore(x, w.Ln2W, w.Ln2B, LayerNormEps, batch, shiftFfn, w.ChannelMix, 1, a, ffnIn, channels);
        }
        else
        {
            s.LayerNorm.Run(x, w.Ln2W, w.Ln2B, a, t, channels, LayerNormEps);
            s.TokenShift.MixAndStore(a, batch, shiftFfn, w.ChannelMix, 1, ffnIn, channels);
        }
        var ffn = ws.Ffn.Get<float>((long)t * w.FfnKey.Outputs);
        s.Gemm.Multiply(w.FfnKey, ffnIn, t, ffn);
        s.Activations.Run(Activation.ReluSquare, ffn, (long)t * w.FfnKey.Outputs);
        s.Gemm.Multiply(w.FfnValue, ffn, t, x, accumulate: true);
    }

    /// <summary>Elements of one sequence's wkv state in one layer.</summary>
    public static long WkvPerSequence(int channels) => (long)channels * ModelConfig.HeadSize;
}
